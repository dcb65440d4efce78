// `carectl person timeline|summary`: carebridge.record.v1.RecordService,
// the continuous view of a person's care across services.

#include <algorithm>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "clients/carectl/command.h"
#include "clients/carectl/format.h"
#include "clients/carectl/interrupt.h"
#include "clients/carectl/name_resolver.h"
#include "clients/carectl/record_format.h"
#include "clients/carectl/record_requests.h"

namespace carebridge::carectl {
namespace {

namespace rv = ::carebridge::record::v1;
using Stub = rv::RecordService::Stub;

// How long --wait_caught_up waits for the record to have every step.
constexpr absl::Duration kCatchUpWait = absl::Seconds(30);

// A printer of record_format.h as FinishNamed takes it.
template <typename Response>
using Printer = void (*)(std::ostream&, const Response&, const NameLabels&);
template <typename Response>
Printer<Response> Print(Printer<Response> print) {
  return print;
}

// After a stream broke off (UNAVAILABLE), how long --follow waits before
// it opens the stream again from the last cursor: doubling, up to the
// second figure, and back to the first once a stream has answered.
constexpr absl::Duration kFirstReconnectWait = absl::Milliseconds(200);
constexpr absl::Duration kLongestReconnectWait = absl::Seconds(5);

// Ctrl-C while following: cancels the stream open now, or the wait before
// the next one. Thread-safe.
class FollowStop {
 public:
  void Stop() ABSL_LOCKS_EXCLUDED(mu_) {
    stopped_.Notify();
    absl::MutexLock lock(&mu_);
    if (current_ != nullptr) current_->TryCancel();
  }
  // The stream now open (null: none); false when stopped already.
  bool Open(grpc::ClientContext* context) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    current_ = context;
    return !stopped_.HasBeenNotified();
  }
  // Waits `wait`, or less when stopped: false then.
  bool Wait(absl::Duration wait) {
    return !stopped_.WaitForNotificationWithTimeout(wait);
  }
  bool stopped() const { return stopped_.HasBeenNotified(); }

 private:
  absl::Notification stopped_;
  absl::Mutex mu_;
  grpc::ClientContext* current_ ABSL_GUARDED_BY(mu_) = nullptr;
};

void PrintStreamed(Session& s, const rv::WatchTimelineResponse& response,
                   const NameLabels& names) {
  for (const rv::TimelineEntry& entry : response.entries()) {
    if (s.json()) {
      absl::StatusOr<std::string> line = ToJsonLine(entry);
      if (line.ok()) s.out() << *line;
    } else if (s.name_only()) {
      s.out() << entry.name() << "\n";
    } else {
      PrintTimelineEntry(s.out(), entry, names);
    }
  }
  s.out().flush();
}

// `person timeline PERSON --follow`: the timeline, then each new step as
// the record applies it, until interrupted. A stream that breaks off
// (server restarting, connection lost) is opened again from the last
// cursor, so nothing is printed twice or missed; any other end stops with
// the error and where to resume.
int FollowTimeline(Session& s, const Invocation& in) {
  auto request = BuildWatchTimelineRequest(in.args[0], in.flags);
  if (!request.ok()) return s.UsageError(request.status());
  if (in.flags.Has("all")) {
    return s.UsageError(FlagError("all",
                                  "pages the timeline; --follow "
                                  "streams all of it"));
  }
  const bool human = !s.json() && !s.name_only();
  NameResolver resolver = DirectoryNames(s);
  FollowStop stop;
  CancelOnSignal cancel([&stop] { stop.Stop(); });
  absl::Duration wait = kFirstReconnectWait;
  while (true) {
    std::unique_ptr<grpc::ClientContext> context = s.NewStreamContext();
    grpc::Status status = grpc::Status::CANCELLED;
    if (stop.Open(context.get())) {
      auto reader = s.record().WatchTimeline(context.get(), *request);
      rv::WatchTimelineResponse response;
      while (reader->Read(&response)) {
        wait = kFirstReconnectWait;
        PrintStreamed(s, response, resolver.For(response));
        request->set_cursor(response.cursor());
      }
      status = reader->Finish();
    }
    stop.Open(nullptr);
    if (stop.stopped()) {
      if (human) {
        s.err() << "carectl: stopped (continue with --after="
                << request->cursor() << ")\n";
      }
      return kExitOk;
    }
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE) {
      const int code = status.ok() ? kExitOk : s.RpcError(status);
      if (!request->cursor().empty()) {
        s.err() << "carectl: resume with --after=" << request->cursor() << "\n";
      }
      return code;
    }
    s.err() << "carectl: the stream broke off (" << status.error_message()
            << "); opening it again in " << absl::FormatDuration(wait)
            << ", from the last cursor\n";
    if (!stop.Wait(wait)) continue;
    wait = std::min(wait * 2, kLongestReconnectWait);
  }
}

int Timeline(Session& s, const Invocation& in) {
  if (in.flags.GetBool("follow")) return FollowTimeline(s, in);
  auto request = BuildTimelineRequest(in.args[0], in.flags);
  if (!request.ok()) return s.UsageError(request.status());
  if (!in.flags.GetBool("wait_caught_up")) {
    return CallAndFinishNamed(s, s.record(), &Stub::ListTimelineEntries,
                              *request, Print(PrintTimeline));
  }
  // The record is eventually consistent: ask again (a person it has not
  // heard of yet is NOT_FOUND) until it says it has every feed's events.
  const absl::Time deadline = absl::Now() + kCatchUpWait;
  while (true) {
    rv::ListTimelineEntriesResponse response;
    grpc::Status status = s.record().ListTimelineEntries(s.NewContext().get(),
                                                         *request, &response);
    const bool retry = (status.ok() && !response.freshness().caught_up()) ||
                       status.error_code() == grpc::StatusCode::NOT_FOUND;
    if (!retry || absl::Now() >= deadline) {
      return FinishNamed(s, status, response, Print(PrintTimeline));
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
}

int Gaps(Session& s, const Invocation& in) {
  auto request = BuildGapsRequest(in.flags);
  if (!request.ok()) return s.UsageError(request.status());
  return CallAndFinishNamed(s, s.record(), &Stub::ListCareGaps, *request,
                            Print(PrintCareGaps));
}

int TeamReport(Session& s, const Invocation& in) {
  auto request = BuildTeamReportRequest(in.args[0], in.flags);
  if (!request.ok()) return s.UsageError(request.status());
  return CallAndFinishNamed(s, s.record(), &Stub::GetTeamReport, *request,
                            Print(PrintTeamReport));
}

int Summary(Session& s, const Invocation& in) {
  return CallAndFinishNamed(s, s.record(), &Stub::GetCareSummary,
                            BuildSummaryRequest(in.args[0]),
                            Print(PrintCareSummary));
}

}  // namespace

std::vector<Command> RecordCommands() {
  std::vector<FlagSpec> timeline_flags = {
      {"kind", FlagKind::kRepeated},       {"since", FlagKind::kValue},
      {"until", FlagKind::kValue},         {"newest_first", FlagKind::kBool},
      {"wait_caught_up", FlagKind::kBool}, {"follow", FlagKind::kBool},
      {"after", FlagKind::kValue}};
  for (FlagSpec& f : PagingFlags()) timeline_flags.push_back(f);
  std::vector<FlagSpec> gaps_flags = {{"team", FlagKind::kValue},
                                      {"all_teams", FlagKind::kBool},
                                      {"kind", FlagKind::kRepeated},
                                      {"person", FlagKind::kValue},
                                      {"closed", FlagKind::kBool}};
  for (FlagSpec& f : PagingFlags()) gaps_flags.push_back(f);
  return {
      {"gaps",
       "",
       "gaps (--team=TEAM | --all_teams) [--kind=KIND,...] [--person=PERSON] "
       "[--closed] [--page_size=N] [--page_token=TOKEN]",
       "People at risk of falling between services, oldest first, each with "
       "why and since when: your team's work list (--team=your team), or "
       "every team's (--all_teams, services). KIND: bounced, "
       "onward_route_not_taken, answer_overdue, plan_not_agreed, "
       "review_overdue, no_crisis_plan, no_lead, join_not_reviewed, "
       "break_glass_not_reviewed. --closed also lists gaps that have closed, "
       "with why.",
       {},
       gaps_flags,
       Gaps},
      {"person",
       "timeline",
       "person timeline PERSON [--kind=KIND,...] [--since=WHEN] "
       "[--until=WHEN] [--newest_first] [--wait_caught_up] [--page_size=N] "
       "[--page_token=TOKEN] | --follow [--kind=KIND,...] [--after=CURSOR]",
       "Everything that happened in a person's care across services, in time "
       "order: referral and handover steps, care plan versions, care team "
       "changes, escalations, registration, break-glass, sharing choices; "
       "each with who and why, as far as your team may see it. KIND: "
       "referral, handover, care_plan, care_team, escalation, person, "
       "break_glass, sharing_choices. WHEN: YYYY-MM-DD or an RFC 3339 time. "
       "--wait_caught_up waits (up to 30 s) until the record has every "
       "service's latest steps. --follow prints the timeline one step a "
       "line, then each new step as the record learns of it, until "
       "interrupted (Ctrl-C), then says where it stopped; --after=CURSOR "
       "resumes there (nothing twice, nothing missed). A stream that breaks "
       "off is opened again from where it was.",
       {"PERSON"},
       timeline_flags,
       Timeline},
      {"team",
       "report",
       "team report TEAM --since=WHEN [--until=WHEN]",
       "A team's figures for a period (referrals and handovers it received "
       "from WHEN until WHEN, default now): response times per urgency (p50, "
       "p90, late), accepted, declined, redirected, withdrawn, unanswered, "
       "decline reasons and onward routes, escalations, and how many people "
       "it saw who had been declined by 3 or more teams. Names no person. "
       "The team's staff and admins.",
       {"TEAM"},
       {{"since", FlagKind::kValue}, {"until", FlagKind::kValue}},
       TeamReport},
      {"person",
       "summary",
       "person summary PERSON",
       "Where a person's care stands now: who leads and since when, the care "
       "team, the plan's version, agreement, crisis plan and review date (for "
       "teams on the care team), referrals and handovers still waiting for "
       "an answer, and each team's last step.",
       {"PERSON"},
       {},
       Summary},
  };
}

}  // namespace carebridge::carectl
