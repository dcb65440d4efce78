// What a referral or handover call returned (issue 11): every read, list
// and write answer records what the person's sharing choices left of each
// referral or handover it returned (`whole referral`, `all but
// risk_summary`), so "who saw what of Ada's referral" has an answer; a list
// records under each person listed what it showed of theirs, by name.

#include <string>
#include <vector>

#include "carebridge/handover/v1/handover.grpc.pb.h"
#include "tests/audit/audit_detail_fixture.h"

namespace carebridge::record::testing {
namespace {

namespace au = ::carebridge::audit::v1;
namespace cp = ::carebridge::careplan::v1;
namespace hv = ::carebridge::handover::v1;

constexpr char kRisk[] = "Low mood in the evenings.";
constexpr char kGetReferral[] = "carebridge.referral.v1.GetReferral";
constexpr char kListReferrals[] = "carebridge.referral.v1.ListReferrals";
constexpr char kGetHandover[] = "carebridge.handover.v1.GetHandover";
constexpr char kListHandovers[] = "carebridge.handover.v1.ListHandovers";

class ExchangeSectionsTest : public AuditDetailTest {
 protected:
  void SetUp() override {
    AuditDetailTest::SetUp();
    handover_ = hv::HandoverService::NewStub(server_.Channel());
  }

  hv::Handover GetHandover(const Principal& as, const std::string& name) {
    hv::GetHandoverRequest request;
    request.set_name(name);
    hv::Handover handover;
    auto context = server_.ContextAs(as);
    grpc::Status status =
        handover_->GetHandover(context.get(), request, &handover);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return handover;
  }

  hv::ListHandoversResponse HandoverInbox(const Principal& as) {
    hv::ListHandoversRequest request;
    request.set_mailbox(hv::INBOX);
    hv::ListHandoversResponse response;
    auto context = server_.ContextAs(as);
    grpc::Status status =
        handover_->ListHandovers(context.get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  // The sections of every access to `person` by `as` calling `method`,
  // newest first.
  std::vector<std::string> Sections(const std::string& person,
                                    const Principal& as,
                                    const std::string& method) {
    std::vector<std::string> sections;
    for (const au::Access& access :
         By(AccessesTo(person), as.subject, method)) {
      sections.push_back(access.sections());
    }
    return sections;
  }
  // The sections of the newest such access.
  std::string LastSections(const std::string& person, const Principal& as,
                           const std::string& method) {
    std::vector<std::string> sections = Sections(person, as, method);
    EXPECT_FALSE(sections.empty()) << method << " by " << as.subject;
    return sections.empty() ? "" : sections[0];
  }

  std::unique_ptr<hv::HandoverService::Stub> handover_;
};

// The crisis team (Ada's lead) sends; the housing team's sector reads risk
// by default: each reads the whole referral, and that is what is recorded.
TEST_F(ExchangeSectionsTest, TeamsShownEverythingAreRecordedReadingTheWhole) {
  const std::string name = ReferWithRisk(bob_, ada_, housing_, kRisk).name();
  EXPECT_EQ(LastSections(ada_, bob_, "carebridge.referral.v1.CreateReferral"),
            "whole referral");

  EXPECT_EQ(GetReferral(bob_, name).risk_summary(), kRisk);
  EXPECT_EQ(LastSections(ada_, bob_, kGetReferral), "whole referral");
  EXPECT_EQ(GetReferral(otto_, name).risk_summary(), kRisk);
  EXPECT_EQ(LastSections(ada_, otto_, kGetReferral), "whole referral");

  const std::string handover = HandOver(bob_, ada_, housing_).name();
  EXPECT_EQ(LastSections(ada_, bob_, "carebridge.handover.v1.CreateHandover"),
            "whole handover");
  EXPECT_EQ(GetHandover(otto_, handover).assessment(),
            "Sleeping badly; her sister helps.");
  EXPECT_EQ(LastSections(ada_, otto_, kGetHandover), "whole handover");
}

// The voluntary sector's default withholds the risk summary and the
// assessment: the peer café's reads and the answers to its writes are
// recorded without them, until Ada shares risk with it; then her choice
// to withhold it from the housing team holds there.
TEST_F(ExchangeSectionsTest, WithheldFieldsAreRecordedAsNotShown) {
  const std::string name = ReferWithRisk(bob_, ada_, voluntary_, kRisk).name();
  EXPECT_EQ(GetReferral(val_, name).risk_summary(), "");
  EXPECT_EQ(LastSections(ada_, val_, kGetReferral), "all but risk_summary");
  ref::AcknowledgeReferralRequest ack;
  ack.set_name(name);
  ref::Referral acknowledged;
  auto context = server_.ContextAs(val_);
  ASSERT_TRUE(
      referral_->AcknowledgeReferral(context.get(), ack, &acknowledged).ok());
  EXPECT_EQ(acknowledged.risk_summary(), "");
  EXPECT_EQ(
      LastSections(ada_, val_, "carebridge.referral.v1.AcknowledgeReferral"),
      "all but risk_summary");

  const std::string handover = HandOver(bob_, ada_, voluntary_).name();
  EXPECT_EQ(GetHandover(val_, handover).assessment(), "");
  EXPECT_EQ(LastSections(ada_, val_, kGetHandover), "all but assessment");
  AcceptHandover(handover, val_);
  EXPECT_EQ(LastSections(ada_, val_, "carebridge.handover.v1.AcceptHandover"),
            "all but assessment");

  ShareWithTeam(bob_, ada_, voluntary_, {cp::SHARED_GOALS, cp::SHARED_RISK});
  EXPECT_EQ(GetReferral(val_, name).risk_summary(), kRisk);
  EXPECT_EQ(LastSections(ada_, val_, kGetReferral), "whole referral");
  EXPECT_EQ(GetHandover(val_, handover).assessment(),
            "Sleeping badly; her sister helps.");
  EXPECT_EQ(LastSections(ada_, val_, kGetHandover), "whole handover");

  const std::string to_housing =
      ReferWithRisk(bob_, ada_, housing_, kRisk).name();
  ShareWithTeam(bob_, ada_, housing_, {cp::SHARED_GOALS});
  EXPECT_EQ(GetReferral(otto_, to_housing).risk_summary(), "");
  EXPECT_EQ(LastSections(ada_, otto_, kGetReferral), "all but risk_summary");
}

// A redirect answers with both referrals: the record names each.
TEST_F(ExchangeSectionsTest, ARedirectRecordsWhatItShowedOfBothReferrals) {
  const std::string name = ReferWithRisk(bob_, ada_, voluntary_, kRisk).name();
  const std::string created = Redirect(name, val_, housing_).name();
  EXPECT_EQ(
      LastSections(ada_, val_, "carebridge.referral.v1.RedirectReferral"),
      name + ": all but risk_summary; " + created + ": all but risk_summary");
}

// A list records, under each person it listed, what it showed of each of
// their referrals; a list of one person's that found none of theirs,
// `none`.
TEST_F(ExchangeSectionsTest, AListRecordsUnderEachPersonWhatItShowedOfTheirs) {
  const std::string bea = MakePerson("Bea");
  const std::string ada_risk =
      ReferWithRisk(bob_, ada_, voluntary_, kRisk).name();
  // Nothing to withhold: the whole referral.
  const std::string ada_plain = ReferAs(bob_, ada_, voluntary_).name();
  const std::string bea_risk =
      ReferWithRisk(alice_, bea, voluntary_, kRisk).name();

  ASSERT_EQ(ListReferralsAs(val_, ref::INBOX).referrals_size(), 3);
  EXPECT_EQ(
      LastSections(ada_, val_, kListReferrals),
      ada_risk + ": all but risk_summary; " + ada_plain + ": whole referral");
  EXPECT_EQ(LastSections(bea, val_, kListReferrals),
            bea_risk + ": all but risk_summary");

  // Ada shares risk with the café: its next list shows, and records, all.
  ShareWithTeam(bob_, ada_, voluntary_, {cp::SHARED_RISK});
  ASSERT_EQ(ListReferralsAs(val_, ref::INBOX, ada_).referrals_size(), 2);
  EXPECT_EQ(LastSections(ada_, val_, kListReferrals),
            ada_risk + ": whole referral; " + ada_plain + ": whole referral");
  // Bea was not listed this time.
  EXPECT_EQ(Sections(bea, val_, kListReferrals).size(), 1u);

  const std::string cy = MakePerson("Cy");
  ASSERT_EQ(ListReferralsAs(val_, ref::INBOX, cy).referrals_size(), 0);
  EXPECT_EQ(LastSections(cy, val_, kListReferrals), "none");
}

TEST_F(ExchangeSectionsTest, AHandoverListRecordsUnderEachPersonListed) {
  const std::string bea = MakePerson("Bea");
  ASSERT_NO_FATAL_FAILURE(TakenOnByCrisis(bea));
  const std::string to_ada = HandOver(bob_, ada_, voluntary_).name();
  const std::string to_bea = HandOver(bob_, bea, voluntary_).name();
  ShareWithTeam(bob_, ada_, voluntary_, {cp::SHARED_RISK});

  ASSERT_EQ(HandoverInbox(val_).handovers_size(), 2);
  EXPECT_EQ(LastSections(ada_, val_, kListHandovers),
            to_ada + ": whole handover");
  EXPECT_EQ(LastSections(bea, val_, kListHandovers),
            to_bea + ": all but assessment");
}

}  // namespace
}  // namespace carebridge::record::testing
