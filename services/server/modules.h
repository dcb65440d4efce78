#ifndef CAREBRIDGE_SERVICES_SERVER_MODULES_H_
#define CAREBRIDGE_SERVICES_SERVER_MODULES_H_

#include <vector>

#include "services/common/service_module.h"

namespace carebridge::server {

// A service this binary can host: its short name (as --services names it)
// and how to open it.
struct HostedService {
  const char* name;
  ModuleOpener open;
};

// Every service carebridge-server knows, in start-up order (those a service
// calls or follows come before it); the same order as kKnownServices. A new
// service is one line here (and its peers in server_config.cc).
const std::vector<HostedService>& HostedServices();

}  // namespace carebridge::server

#endif  // CAREBRIDGE_SERVICES_SERVER_MODULES_H_
