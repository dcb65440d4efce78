#include "services/server/modules.h"

#include "services/careplan/careplan_module.h"
#include "services/directory/directory_module.h"
#include "services/handover/handover_module.h"
#include "services/record/record_module.h"
#include "services/referral/referral_module.h"

namespace carebridge::server {

const std::vector<HostedService>& HostedServices() {
  static const auto* const kServices = new std::vector<HostedService>{
      {"directory", &directory::DirectoryModule::OpenModule},
      {"referral", &referral::ReferralModule::OpenModule},
      {"careplan", &careplan::CarePlanModule::OpenModule},
      {"handover", &handover::HandoverModule::OpenModule},
      {"record", &record::RecordModule::OpenModule},
  };
  return *kServices;
}

}  // namespace carebridge::server
