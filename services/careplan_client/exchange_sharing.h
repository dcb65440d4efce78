#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CLIENT_EXCHANGE_SHARING_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CLIENT_EXCHANGE_SHARING_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "carebridge/careplan/v1/sharing.pb.h"
#include "services/careplan_client/careplan_lookup.h"
#include "services/common/principal.h"
#include "services/common/remote_calls.h"
#include "services/directory_client/directory_lookup.h"
#include "services/sharing/shared_parts.h"

namespace carebridge::careplan_client {

// The parties to one exchange about a person (a referral, a handover).
struct Exchange {
  // `persons/{id}`.
  absl::string_view person;
  // `teams/{id}`.
  absl::string_view sending_team;
  absl::string_view receiving_team;
};

// What the person's sharing choices show now of an exchange's fields that
// they decide on (a referral's risk summary, a handover's assessment: both
// SHARED_RISK), judged at every read so a change of choices holds from its
// commit. The sending team wrote the fields and always reads them, as do
// services; any other reader (the receiving team, a team the exchange was
// redirected from) reads them when the choices share the part with it.
// Everyone is told whether the receiving team reads them.
//
// The choices are asked of the care plan service (CarePlanLookup::
// GetSharing) once per person per ExchangeSharing::Reader; a reader for a
// read run inline (RemoteCalls::kDeferred) uses only what the lookups
// remember (RememberedSharing, RememberedTeam) and defers the read when
// they do not know. When they
// cannot be read, nothing is shared beyond the sending team (the person's
// consent is not assumed); without a care plan service at all (a
// deployment that keeps no choices) the sector defaults hold. Thread-safe;
// a Reader is not.
class ExchangeSharing {
 public:
  // `careplan` may be null (no care plan service: the defaults hold);
  // `directory` too (no sectors known: the narrowest default).
  ExchangeSharing(CarePlanLookup* careplan,
                  directory_client::DirectoryLookup* directory)
      : careplan_(careplan), directory_(directory) {}

  struct Verdict {
    // The caller reads the fields.
    bool caller_reads = true;
    // The receiving team reads them.
    bool receiver_reads = true;
  };

  // Judges exchanges for one caller, remembering each person's choices for
  // its own life (one read, or one page of a list).
  class Reader {
   public:
    // RemoteCallDeferred() when judging needs the care plan service or the
    // directory (what they remember is not enough) and `remote` is
    // kDeferred.
    absl::StatusOr<Verdict> Judge(const Exchange& exchange,
                                  careplan::v1::SharedPart part);

    // What the caller's team sees of `person`'s care under the choices:
    // everything for services and the person; a clinical team's parts
    // (everything when it leads); nothing for anyone else. For another
    // service's views of the person (the record's). RemoteCallDeferred()
    // when a clinical caller's parts need the care plan service and
    // `remote` is kDeferred.
    absl::StatusOr<sharing::SharedParts> CallerParts(absl::string_view person);

    // Judges `field` (named `field_name`) of an exchange: empties it when
    // the caller does not read it, and names it in `withheld` when the
    // receiving team does not (nothing to judge when it is empty). Returns
    // whether it emptied the field (what the call's audit record says the
    // caller was not shown: ShownExchanges).
    absl::StatusOr<bool> Show(
        const Exchange& exchange, careplan::v1::SharedPart part,
        absl::string_view field_name, std::string& field,
        google::protobuf::RepeatedPtrField<std::string>& withheld);

   private:
    friend class ExchangeSharing;
    Reader(const ExchangeSharing* sharing, const Principal* caller,
           RemoteCalls remote)
        : sharing_(sharing), caller_(caller), remote_(remote) {}

    // What `team` reads of `person`'s parts; None when the choices cannot
    // be read. Under RemoteCalls::kDeferred only what the lookups remember
    // is used: RemoteCallDeferred() when that is not enough.
    absl::StatusOr<sharing::SharedParts> PartsFor(absl::string_view person,
                                                  absl::string_view team);

    const ExchangeSharing* sharing_;
    const Principal* caller_;
    RemoteCalls remote_;
    absl::flat_hash_map<std::string, absl::StatusOr<sharing::PersonSharing>>
        persons_;
  };

  // A reader for `caller` (which outlives it).
  Reader ReaderFor(const Principal& caller, RemoteCalls remote) const {
    return Reader(this, &caller, remote);
  }

 private:
  CarePlanLookup* const careplan_;
  directory_client::DirectoryLookup* const directory_;
};

}  // namespace carebridge::careplan_client

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CLIENT_EXCHANGE_SHARING_H_
