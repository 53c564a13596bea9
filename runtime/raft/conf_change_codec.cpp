#include "runtime/raft/conf_change_codec.hpp"

#include "runtime/raft/capnp_io.hpp"
#include "schema/raft.capnp.h"

namespace raftor::raft {

std::string encode_conf_change(const ConfChange& cc) {
    capnp::MallocMessageBuilder mb(detail::first_segment_words(
        128 + cc.context.size() + 8 * (cc.result.voters.size() + cc.result.learners.size())));
    auto r = mb.initRoot<schema::ConfChange>();
    r.setType(static_cast<schema::ConfChangeType>(cc.type));
    r.setNode(cc.node);
    r.setContext(kj::arrayPtr(reinterpret_cast<const capnp::byte*>(cc.context.data()), cc.context.size()));
    auto res = r.initResult();
    auto v = res.initVoters(static_cast<unsigned>(cc.result.voters.size()));
    for (unsigned i = 0; i < v.size(); ++i) v.set(i, cc.result.voters[i]);
    auto l = res.initLearners(static_cast<unsigned>(cc.result.learners.size()));
    for (unsigned i = 0; i < l.size(); ++i) l.set(i, cc.result.learners[i]);
    return detail::to_bytes(mb);
}

std::optional<ConfChange> decode_conf_change(std::string_view bytes) {
    std::string error;
    return detail::decode_root<schema::ConfChange>(
        bytes, error, "conf change", [](schema::ConfChange::Reader r) -> std::optional<ConfChange> {
            const auto type = static_cast<unsigned>(r.getType());
            if (type > static_cast<unsigned>(ConfChangeType::promote_learner) || r.getNode() == no_node)
                return std::nullopt;
            ConfChange cc{.type = static_cast<ConfChangeType>(type), .node = r.getNode()};
            auto ctx = r.getContext();
            cc.context.assign(reinterpret_cast<const char*>(ctx.begin()), ctx.size());
            for (auto id : r.getResult().getVoters()) cc.result.voters.push_back(id);
            for (auto id : r.getResult().getLearners()) cc.result.learners.push_back(id);
            if (!valid_conf_state(cc.result) || cc.result.voters.empty()) return std::nullopt;
            return cc;
        });
}

}  // namespace raftor::raft
