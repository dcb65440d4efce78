#ifndef CAREBRIDGE_TESTS_BENCHMARK_FIXTURE_H_
#define CAREBRIDGE_TESTS_BENCHMARK_FIXTURE_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace carebridge::bench {

// What the benchmark creates on the server before loading it, through the
// public API as the bootstrap admin: a sending team and a receiving team
// (accepting referrals), a clinician in each with a token, the persons
// referred, and a voluntary-sector team that owns some care plan actions.
struct Fixture {
  std::string sending_team;    // teams/{id}, a community mental health team
  std::string receiving_team;  // teams/{id}, a crisis team
  std::string voluntary_team;  // teams/{id}
  std::string person;          // persons/{id}, the first referred
  // persons/{id} of the people CreateReferral calls refer in turn
  // (CreateFixture's `persons`, at least one). A region's referrals spread over
  // many people; all of them for one person (tens of thousands in a run) made
  // the record's work for that one person, which reads the person's whole
  // history at each change, the figure.
  std::vector<std::string> referred_persons;
  std::string sender_token;    // a clinician of the sending team
  std::string receiver_token;  // a clinician of the receiving team
};

// How many persons the benchmark registers for referrals by default.
inline constexpr int kReferredPersons = 100;

// Creates the fixture, registering `persons` persons (at least one; a
// benchmark that refers nobody needs one). `run_id` makes names and
// request ids unique, so the benchmark can run repeatedly against one
// server.
absl::StatusOr<Fixture> CreateFixture(
    const std::shared_ptr<grpc::Channel>& channel,
    absl::string_view admin_token, absl::string_view run_id, int persons = 1);

// The bootstrap admin token in the file at `path` (--admin_token_file).
absl::StatusOr<std::string> ReadAdminToken(const std::string& path);

// Adds `authorization: Bearer <token>` to a call.
void AddBearer(grpc::ClientContext& context, absl::string_view token);

}  // namespace carebridge::bench

#endif  // CAREBRIDGE_TESTS_BENCHMARK_FIXTURE_H_
