#pragma once
// The gateway's admin requests (runtime/http/admin_api routes them): snapshot,
// leadership transfer, drain, membership changes, shutdown, backup.
#include "actors/gateway_replies.hpp"

namespace raftor::actors {

void handle_admin(GatewaySelf* self, const GatewaySetupPtr& setup, RequestPtr req, const http::Routed& routed,
                  ReplyPtr out);
// One look at a drain in progress: answers when drained or out of time, else looks again.
void drain_step(GatewaySelf* self, const GatewaySetupPtr& setup, DrainWaitPtr w);

}  // namespace raftor::actors
