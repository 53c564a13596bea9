#pragma once
// One pass at a time over the replicated state (the executor's and the scheduler's
// scans, the signer's seal): a request that comes while a pass runs is remembered and
// served by one more pass when it ends - whether the pass succeeded or failed.
#include <utility>

namespace raftor::actors {

class OnePass {
public:
    // True when a pass may start now; otherwise the request is remembered.
    bool begin() {
        if (running_) {
            again_ = true;
            return false;
        }
        running_ = true;
        return true;
    }
    // Ends the pass; true when another was asked for meanwhile (the caller runs it).
    bool end() {
        running_ = false;
        return std::exchange(again_, false);
    }
    void ask_again() { again_ = true; }

private:
    bool running_ = false, again_ = false;
};

}  // namespace raftor::actors
