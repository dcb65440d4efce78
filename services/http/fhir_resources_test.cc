#include "services/http/fhir_resources.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "absl/time/time.h"
#include "services/common/time_util.h"

namespace carebridge::http::fhir {
namespace {

namespace dir = ::carebridge::directory::v1;
namespace ref = ::carebridge::referral::v1;

ref::Referral Sent() {
  ref::Referral referral;
  referral.set_name("referrals/r1");
  referral.set_person("persons/p1");
  referral.set_sending_team("teams/north");
  referral.set_receiving_team("teams/crisis");
  referral.set_urgency(ref::URGENT);
  referral.set_reason("Escalating distress");
  referral.set_state(ref::SENT);
  referral.set_etag("e1");
  *referral.mutable_create_time() =
      ToProtoTimestamp(absl::FromUnixMillis(1764990000123));
  *referral.mutable_update_time() = referral.create_time();
  *referral.mutable_response_due_time() =
      ToProtoTimestamp(absl::FromUnixSeconds(1765249200));
  return referral;
}

dir::Team CrisisTeam() {
  dir::Team team;
  team.set_name("teams/crisis");
  team.set_display_name("Crisis team");
  team.set_sector(dir::CRISIS);
  team.set_accepting_referrals(true);
  dir::ResponseDeadlines* deadlines = team.mutable_response_deadlines();
  *deadlines->mutable_crisis() = ToProtoDuration(absl::Hours(4));
  *deadlines->mutable_urgent() = ToProtoDuration(absl::Hours(3 * 24));
  *deadlines->mutable_routine() = ToProtoDuration(absl::Hours(14 * 24));
  team.set_service_description("Home treatment and crisis assessment");
  team.set_eligibility("Adults 18+ registered with a GP in the borough");
  team.set_contact("0300 555 0100 (24 hours)");
  team.set_etag("t1");
  *team.mutable_create_time() =
      ToProtoTimestamp(absl::FromUnixMillis(1764900000000));
  *team.mutable_update_time() =
      ToProtoTimestamp(absl::FromUnixMillis(1764990000123));
  return team;
}

TEST(FhirResourcesTest, EveryReferralStateHasATaskStatusAndBack) {
  for (ref::State state :
       {ref::SENT, ref::ACKNOWLEDGED, ref::ACCEPTED, ref::DECLINED,
        ref::REDIRECTED, ref::WITHDRAWN, ref::COMPLETED}) {
    std::string status = TaskStatus(state);
    ASSERT_FALSE(status.empty()) << ref::State_Name(state);
    EXPECT_THAT(StatesForTaskStatus(status), ::testing::Contains(state));
  }
  EXPECT_EQ(TaskStatus(ref::SENT), "requested");
  EXPECT_EQ(TaskStatus(ref::ACKNOWLEDGED), "received");
  EXPECT_EQ(TaskStatus(ref::DECLINED), "rejected");
  EXPECT_THAT(StatesForTaskStatus("cancelled"),
              ::testing::UnorderedElementsAre(ref::REDIRECTED, ref::WITHDRAWN));
  EXPECT_TRUE(StatesForTaskStatus("draft").empty());
}

TEST(FhirResourcesTest, ASentReferralIsAnActiveRequestAndARequestedTask) {
  ref::Referral referral = Sent();
  Json request = ServiceRequest(referral);
  EXPECT_EQ(request["status"], "active");
  EXPECT_EQ(request["intent"], "order");
  EXPECT_EQ(request["priority"], "urgent");
  EXPECT_EQ(request["subject"]["reference"], "Patient/p1");
  EXPECT_EQ(request["requester"]["reference"], "Organization/north");
  EXPECT_EQ(request["performer"][0]["reference"], "HealthcareService/crisis");
  EXPECT_EQ(request["authoredOn"], "2025-12-06T03:00:00.123Z");
  EXPECT_EQ(request["meta"]["versionId"], "e1");
  // Nothing the answer withheld appears (no risk summary here).
  EXPECT_FALSE(request.contains("note"));
  Json task = Task(referral);
  EXPECT_EQ(task["status"], "requested");
  EXPECT_EQ(task["businessStatus"]["text"], "Sent");
  EXPECT_EQ(task["focus"]["reference"], "ServiceRequest/r1");
  EXPECT_EQ(task["owner"]["reference"], "HealthcareService/crisis");
  EXPECT_EQ(task["restriction"]["period"]["end"], "2025-12-09T03:00:00.000Z");
  EXPECT_FALSE(task.contains("output"));
}

TEST(FhirResourcesTest, AServiceRequestCarriesTheSendersIdentifiers) {
  ref::Referral referral = Sent();
  EXPECT_FALSE(ServiceRequest(referral).contains("identifier"));
  ref::ReferralIdentifier* first = referral.add_identifiers();
  first->set_system("https://trust.example/ref");
  first->set_value("R-123");
  ref::ReferralIdentifier* second = referral.add_identifiers();
  second->set_system("urn:oid:2.16.840.1.113883.2.1.4.1");
  second->set_value("000123");
  EXPECT_EQ(ServiceRequest(referral)["identifier"], Json::parse(R"([
    {"system": "https://trust.example/ref", "value": "R-123"},
    {"system": "urn:oid:2.16.840.1.113883.2.1.4.1", "value": "000123"}])"));
}

TEST(FhirResourcesTest, ADeclineCarriesItsReasonAndOnwardRoute) {
  ref::Referral referral = Sent();
  referral.set_state(ref::DECLINED);
  ref::ReferralEvent* declined = referral.add_history();
  declined->set_action(ref::ReferralEvent::DECLINED);
  declined->set_note("Not a crisis need");
  referral.mutable_onward_route()->set_signposting("Housing advice line");
  referral.mutable_onward_route()->set_suggested_team("teams/housing");
  Json task = Task(referral);
  EXPECT_EQ(task["status"], "rejected");
  EXPECT_EQ(task["statusReason"]["text"], "Not a crisis need");
  EXPECT_EQ(task["output"][0]["valueString"], "Housing advice line");
  EXPECT_EQ(task["output"][1]["valueReference"]["reference"],
            "HealthcareService/housing");
  EXPECT_EQ(ServiceRequest(referral)["status"], "revoked");
}

TEST(FhirResourcesTest, ARedirectLinksBothWays) {
  ref::Referral moved = Sent();
  moved.set_state(ref::REDIRECTED);
  moved.set_redirected_to("referrals/r2");
  EXPECT_EQ(Task(moved)["output"][0]["valueReference"]["reference"], "Task/r2");
  ref::Referral successor = Sent();
  successor.set_name("referrals/r2");
  successor.set_redirected_from("referrals/r1");
  EXPECT_EQ(ServiceRequest(successor)["replaces"][0]["reference"],
            "ServiceRequest/r1");
}

TEST(FhirResourcesTest, APatientHasItsNhsNumberAndNames) {
  dir::Person person;
  person.set_name("persons/p1");
  person.set_nhs_number("9434765919");
  person.set_given_name("Alex");
  person.set_family_name("Morgan");
  person.set_preferred_name("Al");
  person.set_birth_date("1990-04-12");
  dir::LocalIdentifier* mrn = person.add_local_identifiers();
  mrn->set_system("https://trust.example/mrn");
  mrn->set_value("MRN123");
  Json patient = Patient(person);
  EXPECT_EQ(patient["resourceType"], "Patient");
  EXPECT_EQ(patient["identifier"][0]["system"], kNhsNumberSystem);
  EXPECT_EQ(patient["identifier"][0]["value"], "9434765919");
  EXPECT_EQ(patient["identifier"][1]["value"], "MRN123");
  EXPECT_EQ(patient["name"][0]["use"], "official");
  EXPECT_EQ(patient["name"][0]["family"], "Morgan");
  EXPECT_EQ(patient["name"][1]["use"], "usual");
  EXPECT_EQ(patient["name"][1]["given"][0], "Al");
  EXPECT_EQ(patient["birthDate"], "1990-04-12");
  // Without an NHS number or identifiers, no empty identifier list.
  person.clear_nhs_number();
  person.clear_local_identifiers();
  EXPECT_FALSE(Patient(person).contains("identifier"));
}

TEST(FhirResourcesTest, AMergedPatientIsInactiveAndLinksToTheOneKept) {
  dir::Person person;
  person.set_name("persons/p2");
  person.set_given_name("Alex");
  person.set_family_name("Morgan");
  person.set_birth_date("1990-04-12");
  EXPECT_FALSE(Patient(person).contains("link"));
  EXPECT_FALSE(Patient(person).contains("active"));
  person.set_merged_into("persons/p1");
  Json patient = Patient(person);
  EXPECT_EQ(patient["active"], false);
  ASSERT_EQ(patient["link"].size(), 1u);
  EXPECT_EQ(patient["link"][0]["other"]["reference"], "Patient/p1");
  EXPECT_EQ(patient["link"][0]["type"], "replaced-by");
}

// Compared as plain JSON: FHIR gives element order no meaning.
nlohmann::json Plain(const Json& resource) {
  return nlohmann::json::parse(resource.dump());
}

TEST(FhirResourcesTest, AHealthcareServiceSaysWhatAReferrerNeedsToKnow) {
  EXPECT_EQ(Plain(HealthcareService(CrisisTeam())),
            nlohmann::json::parse(R"json({
    "resourceType": "HealthcareService",
    "id": "crisis",
    "meta": {"versionId": "t1", "lastUpdated": "2025-12-06T03:00:00.123Z"},
    "active": true,
    "providedBy": {"reference": "Organization/crisis"},
    "category": [{"text": "Crisis"}],
    "name": "Crisis team",
    "comment": "Home treatment and crisis assessment",
    "extraDetails": "Answers referrals within: crisis 4 hours, urgent 3 days, routine 14 days.",
    "telecom": [{"system": "other", "value": "0300 555 0100 (24 hours)"}],
    "eligibility": [
      {"comment": "Adults 18+ registered with a GP in the borough"}
    ],
    "referralMethod": [{"text": "carebridge referral (FHIR ServiceRequest)"}]
})json"));
}

TEST(FhirResourcesTest, EachUrgencysResponseTimeIsItsOwn) {
  dir::Team team = CrisisTeam();
  dir::ResponseDeadlines* deadlines = team.mutable_response_deadlines();
  *deadlines->mutable_crisis() = ToProtoDuration(absl::Minutes(15));
  *deadlines->mutable_urgent() = ToProtoDuration(absl::Minutes(90));
  *deadlines->mutable_routine() = ToProtoDuration(absl::Hours(90 * 24));
  EXPECT_EQ(HealthcareService(team)["extraDetails"],
            "Answers referrals within: crisis 15 minutes, urgent 1 hour 30 "
            "minutes, routine 90 days.");
  *deadlines->mutable_crisis() =
      ToProtoDuration(absl::Hours(1) + absl::Seconds(30));
  *deadlines->mutable_urgent() = ToProtoDuration(absl::Hours(36));
  *deadlines->mutable_routine() = ToProtoDuration(absl::Hours(24));
  EXPECT_EQ(HealthcareService(team)["extraDetails"],
            "Answers referrals within: crisis 1 hour 30 seconds, urgent 36 "
            "hours, routine 1 day.");
}

// Paused referrals are an availability exception, not a retired record
// (an EHR filtering on active=true must still find the team).
TEST(FhirResourcesTest, AServiceNotAcceptingReferralsStaysActiveAndSaysSo) {
  dir::Team team = CrisisTeam();
  team.set_accepting_referrals(false);
  Json service = HealthcareService(team);
  EXPECT_EQ(service["active"], true);
  EXPECT_EQ(service["availabilityExceptions"], "Not accepting referrals now.");
  EXPECT_FALSE(
      HealthcareService(CrisisTeam()).contains("availabilityExceptions"));
  EXPECT_EQ(service["extraDetails"],
            "Answers referrals within: crisis 4 hours, urgent 3 days, routine "
            "14 days. Not accepting referrals now.");
  // The organization behind it still exists.
  EXPECT_EQ(Organization(team)["active"], true);
}

TEST(FhirResourcesTest, AServiceLeavesOutWhatTheTeamDidNotSay) {
  dir::Team team = CrisisTeam();
  team.clear_service_description();
  team.clear_eligibility();
  team.clear_contact();
  team.clear_etag();
  team.clear_update_time();
  Json service = HealthcareService(team);
  EXPECT_FALSE(service.contains("comment"));
  EXPECT_FALSE(service.contains("eligibility"));
  EXPECT_FALSE(service.contains("telecom"));
  // No version and no time: no meta at all (FHIR JSON has no empty objects).
  EXPECT_FALSE(service.contains("meta")) << service.dump();
  EXPECT_EQ(service["name"], "Crisis team");
  EXPECT_EQ(service["category"][0]["text"], "Crisis");
}

TEST(FhirResourcesTest, ATeamIsTheOrganizationThatProvidesItsService) {
  EXPECT_EQ(Plain(Organization(CrisisTeam())), nlohmann::json::parse(R"json({
    "resourceType": "Organization",
    "id": "crisis",
    "meta": {"versionId": "t1", "lastUpdated": "2025-12-06T03:00:00.123Z"},
    "active": true,
    "type": [{"text": "Crisis"}],
    "name": "Crisis team"
  })json"));
}

TEST(FhirResourcesTest, EverySectorHasItsOwnWords) {
  const std::pair<dir::Sector, std::string> kWords[] = {
      {dir::COMMUNITY_MENTAL_HEALTH, "Community mental health"},
      {dir::CRISIS, "Crisis"},
      {dir::VOLUNTARY_SECTOR, "Voluntary sector"},
      {dir::PRIMARY_CARE, "Primary care"},
      {dir::INPATIENT, "Inpatient"},
      {dir::SOCIAL_CARE, "Social care"},
      {dir::OTHER, "Other"},
  };
  for (const auto& [sector, words] : kWords) {
    dir::Team team = CrisisTeam();
    team.set_sector(sector);
    EXPECT_EQ(HealthcareService(team)["category"],
              Json::array({{{"text", words}}}))
        << dir::Sector_Name(sector);
    EXPECT_EQ(Organization(team)["type"], Json::array({{{"text", words}}}))
        << dir::Sector_Name(sector);
  }
}

TEST(FhirResourcesTest, OutcomesNameTheIssueTypeForTheCode) {
  EXPECT_EQ(
      OperationOutcome(absl::InvalidArgumentError("x"))["issue"][0]["code"],
      "invalid");
  EXPECT_EQ(
      OperationOutcome(absl::PermissionDeniedError("x"))["issue"][0]["code"],
      "forbidden");
  Json outcome = OperationOutcome(absl::NotFoundError("no persons/p9"));
  EXPECT_EQ(outcome["resourceType"], "OperationOutcome");
  EXPECT_EQ(outcome["issue"][0]["severity"], "error");
  EXPECT_EQ(outcome["issue"][0]["code"], "not-found");
  EXPECT_EQ(outcome["issue"][0]["diagnostics"], "no persons/p9");
}

}  // namespace
}  // namespace carebridge::http::fhir
