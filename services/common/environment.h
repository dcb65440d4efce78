#ifndef CAREBRIDGE_SERVICES_COMMON_ENVIRONMENT_H_
#define CAREBRIDGE_SERVICES_COMMON_ENVIRONMENT_H_

#include "services/common/authenticator.h"
#include "services/common/clock.h"
#include "services/common/executor.h"
#include "services/common/hmac.h"
#include "services/common/ids.h"
#include "services/common/token.h"

namespace carebridge {

// What every service needs from the binary hosting it. Built once in main
// (or in a test fixture) and passed down; nothing here is global. The
// pointees outlive every service.
struct Environment {
  const Clock* clock = nullptr;
  IdGenerator* ids = nullptr;
  const TokenSigner* signer = nullptr;
  const Authenticator* authenticator = nullptr;
  // Where handlers that block (writes, calls to other services) run.
  BlockingExecutor* executor = nullptr;
  // The key of every service's audit log (kept outside the databases);
  // null: no audit log (tools and tests that need none).
  const HmacSha256* audit_key = nullptr;
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_ENVIRONMENT_H_
