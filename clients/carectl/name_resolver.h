#ifndef CAREBRIDGE_CLIENTS_CARECTL_NAME_RESOLVER_H_
#define CAREBRIDGE_CLIENTS_CARECTL_NAME_RESOLVER_H_

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "carebridge/directory/v1/directory.pb.h"
#include "clients/carectl/name_labels.h"
#include "clients/carectl/session.h"
#include "google/protobuf/message.h"

namespace carebridge::carectl {

// "Ada Lovelace (NHS 943 476 5919)"; with no NHS number (the directory
// leaves it out for a team with no care relationship with the person) the
// birth date: "Ada Lovelace (born 1815-12-10)".
std::string PersonLabel(const directory::v1::Person& person);

// Labels resource names for a screen, asking about each name at most once
// per carectl run and a page's names all at once. A name that cannot be
// looked up (refused, unknown, the directory unreachable) keeps its id: a
// screen never fails for want of a name. Not thread-safe.
class NameResolver {
 public:
  // Looks a batch of distinct names up; the answer holds the labels found.
  using Lookup = std::function<std::map<std::string, std::string>(
      const std::vector<std::string>& names)>;

  explicit NameResolver(Lookup lookup) : lookup_(std::move(lookup)) {}

  // The labels of `names`, and of every name asked about before.
  const NameLabels& For(const std::vector<std::string>& names);
  // The same for the names in `message` (see ResourceNamesIn).
  const NameLabels& For(const google::protobuf::Message& message);

 private:
  Lookup lookup_;
  std::set<std::string> asked_;
  NameLabels labels_;
};

// A resolver asking `session`'s directory (GetPerson, GetTeam, GetMember),
// each lookup within the --timeout and at most 3 s. After the directory
// refuses persons to the caller (admins), or cannot be reached, it stops
// asking for the rest of the run.
NameResolver DirectoryNames(Session& session);

// Finishes a call (see Session::Finish); a person reads the response
// through `print(out, response, labels)`, with the labels of its names.
template <typename Response, typename Print>
int FinishNamed(Session& session, const grpc::Status& status,
                const Response& response, Print print) {
  return session.Finish(status, response, [&](std::ostream& out) {
    NameResolver names = DirectoryNames(session);
    print(out, response, names.For(response));
  });
}

// CallAndFinish (session.h), printing as FinishNamed does.
template <typename Stub, typename Request, typename Response, typename Print>
int CallAndFinishNamed(Session& session, Stub& stub,
                       grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                    const Request&, Response*),
                       const Request& request, Print print) {
  Response response;
  grpc::Status status =
      (stub.*method)(session.NewContext().get(), request, &response);
  return FinishNamed(session, status, response, print);
}

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_NAME_RESOLVER_H_
