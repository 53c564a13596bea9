#pragma once
// A fuzz target: LLVMFuzzerTestOneInput (libFuzzer's entry point) over one input, and
// the inputs it starts from. `make fuzz` links each target with libFuzzer (clang-16,
// coverage-guided, ASan + UBSan); `make test` links it with standalone_main.cpp, which
// replays the committed corpus and runs a short blind mutation pass.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

#include <cstdio>
#include <cstdlib>

namespace raftor::fuzz {
// A property of the code under test did not hold: said, then a crash the fuzzer keeps.
[[noreturn]] inline void fail(const char* what) {
    std::fprintf(stderr, "fuzz: %s\n", what);
    std::abort();
}
// Valid inputs to mutate from (written to the corpus with --write-inputs).
std::vector<std::string> starting_inputs();
}  // namespace raftor::fuzz
