#ifndef CAREBRIDGE_SERVICES_CAREPLAN_CLIENT_SHOWN_EXCHANGES_H_
#define CAREBRIDGE_SERVICES_CAREPLAN_CLIENT_SHOWN_EXCHANGES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "services/careplan_client/exchange_sharing.h"

namespace carebridge::careplan_client {

// What one call returns of exchanges (referrals, handovers) as the person's
// sharing choices left them for the caller (ExchangeSharing::Reader::Show),
// noted in the call's audit record as `sections` (audit.proto,
// Access.sections), so the audit says what the masking showed. Not
// thread-safe.
class ShownExchanges {
 public:
  // `kind` names the whole in `sections`: `referral` gives
  // `whole referral`.
  explicit ShownExchanges(absl::string_view kind) : kind_(kind) {}

  // Shows the exchange `name` to `reader`'s caller: its one field the
  // sharing choices decide on, `field` (named `field_name`), as
  // Reader::Show judges it; the call returns the exchange without that
  // field when Show emptied it, else the whole of it.
  absl::Status Show(ExchangeSharing::Reader& reader, const Exchange& exchange,
                    absl::string_view name, careplan::v1::SharedPart part,
                    absl::string_view field_name, std::string& field,
                    google::protobuf::RepeatedPtrField<std::string>& withheld);

  // Notes the call's one exchange (the last shown): `whole referral`, or
  // `all but risk_summary`.
  void NoteOne() const;

  // Notes every exchange shown, for a call returning any number (a page of
  // a list, a redirect's two referrals): the record naming each person
  // keeps theirs, each exchange by name in the order shown
  // (`referrals/1: whole referral; referrals/2: all but risk_summary`);
  // the call's own record `none` (nothing of anyone else: an empty page, or
  // the person a list asked for when it listed nothing of theirs).
  void NoteEach() const;

 private:
  struct Shown {
    std::string person;
    std::string name;
    std::vector<std::string> emptied;
  };

  // `whole referral`, or `all but ` and the emptied fields.
  std::string SectionsOf(const Shown& shown) const;

  const std::string kind_;
  std::vector<Shown> shown_;
};

}  // namespace carebridge::careplan_client

#endif  // CAREBRIDGE_SERVICES_CAREPLAN_CLIENT_SHOWN_EXCHANGES_H_
