#ifndef CAREBRIDGE_TESTS_BENCHMARK_CONSUMER_LAG_H_
#define CAREBRIDGE_TESTS_BENCHMARK_CONSUMER_LAG_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>
#include <vector>

#include "carebridge/events/v1/feed_admin.grpc.pb.h"

namespace carebridge::bench {

// What the server's feed consumers still had to apply, as its admin reads
// it (FeedAdminService.ListConsumers). A write's rate alone hides the work
// its consumers do after the phase ends: a consumer that falls behind
// during the run leaves CPU to the writes, and does its share afterwards.
class ConsumerLag {
 public:
  ConsumerLag(const std::shared_ptr<grpc::Channel>& channel,
              std::string admin_token);

  // "record.referral 514 events behind; careplan.referral caught up", or
  // why the consumers could not be read.
  std::string Describe() const;
  // Keeps Describe() now, as what was left when `rpc`'s phase ended.
  void Note(const std::string& rpc);
  // Prints what Note kept, one line per phase.
  void Print() const;

 private:
  std::unique_ptr<events::v1::FeedAdminService::Stub> admin_;
  const std::string admin_token_;
  std::vector<std::string> noted_;
};

}  // namespace carebridge::bench

#endif  // CAREBRIDGE_TESTS_BENCHMARK_CONSUMER_LAG_H_
