#pragma once
// A JSON body nested deeper than a limit is refused before any parser sees it: a
// recursive parser given a body of a million '[' would exhaust the stack.
#include <cstddef>
#include <string_view>

namespace raftor::http {

constexpr std::size_t json_depth_max = 64;

// Whether `body` opens more than `max_depth` arrays or objects at once (strings and
// their escapes are skipped). Linear, no allocation; says nothing of validity.
bool json_deeper_than(std::string_view body, std::size_t max_depth);

}  // namespace raftor::http
