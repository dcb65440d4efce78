// RecordDomain's timeline streams (WatchTimeline): where one starts, and
// what it reads next. Need to know is ListTimelineEntries' own
// (RecordDomain::ViewFor, TimelineView).

#include <array>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/errors.h"
#include "services/common/macros.h"
#include "services/common/page_token.h"
#include "services/record/errors.h"
#include "services/record/record_domain.h"

namespace carebridge::record {
namespace {

// Entries read per source feed at most per response, as many as a feed
// response holds.
constexpr int kEntriesPerFeed = 100;
// The entries one response holds at most (serialized), unless a single
// entry is larger: as a feed response (kFeedResponseBudgetBytes).
constexpr size_t kResponseBudgetBytes = 128 * 1024;

using FeedRows = std::array<std::vector<AppliedRow>, kTimelineFeeds>;

// What a cursor carries first since entries have positions; a cursor
// without it (issued before) carries each feed's source sequence.
constexpr char kPositionsPart[] = "p";
// The record database's epoch, as much of it as a cursor carries.
constexpr size_t kEpochChars = 16;

// A cursor is a page token (page_token.h) carrying kPositionsPart, the
// record database's epoch (positions are that database's: a record rebuilt
// from the feeds numbers its entries anew), each feed's position, then the
// kinds it was issued for, issued for one person's timeline. The kinds are
// bound (as page tokens bind their filters): a position read with some
// kinds skipped the others' entries before it, so the same cursor with
// other kinds would silently miss them.
std::string CursorFingerprint(absl::string_view person) {
  return absl::StrCat("WatchTimeline|", person);
}

// The stream's kinds, in one spelling whatever the request's order: names
// in number order, each once; empty for every kind.
std::string KindsPart(const std::vector<v1::EntryKind>& kinds) {
  std::set<int> sorted(kinds.begin(), kinds.end());
  std::vector<std::string> names;
  for (int kind : sorted) {
    names.push_back(v1::EntryKind_Name(static_cast<v1::EntryKind>(kind)));
  }
  return absl::StrJoin(names, ",");
}

std::string EpochPart(const std::string& epoch) {
  return epoch.substr(0, kEpochChars);
}

std::string EncodeCursor(const TimelineWatch& watch) {
  std::vector<std::string> parts = {kPositionsPart, EpochPart(watch.epoch)};
  for (int64_t after : watch.after) parts.push_back(absl::StrCat(after));
  parts.push_back(KindsPart(watch.kinds));
  return EncodePageToken(CursorFingerprint(watch.person), parts);
}

// Reads `cursor` into watch.after: positions, or, for a cursor issued
// before entries had positions (`*sequences` set), each feed's source
// sequence.
absl::Status DecodeCursor(absl::string_view cursor, TimelineWatch& watch,
                          bool* sequences) {
  *sequences = false;
  absl::StatusOr<std::vector<std::string>> parts =
      DecodePageToken(cursor, CursorFingerprint(watch.person));
  if (!parts.ok()) return errors::BadTimelineCursor(watch.person);
  if (parts->empty()) return absl::OkStatus();
  size_t first = 0;
  if (parts->size() == kTimelineFeeds + 3 && (*parts)[0] == kPositionsPart) {
    if ((*parts)[1] != EpochPart(watch.epoch)) {
      return errors::TimelineCursorOfRebuiltRecord(watch.person);
    }
    first = 2;
  } else if (parts->size() == kTimelineFeeds + 1) {
    *sequences = true;
  } else {
    return errors::BadTimelineCursor(watch.person);
  }
  for (int rank = 0; rank < kTimelineFeeds; ++rank) {
    if (!absl::SimpleAtoi((*parts)[first + rank], &watch.after[rank]) ||
        watch.after[rank] < 0) {
      return errors::BadTimelineCursor(watch.person);
    }
  }
  const std::string& issued_for = parts->back();
  const std::string asked_for = KindsPart(watch.kinds);
  if (issued_for != asked_for) {
    auto spelt = [](const std::string& kinds) {
      return kinds.empty() ? std::string("every kind")
                           : absl::StrCat("kinds ", kinds);
    };
    return carebridge::errors::Invalid(
        "cursor",
        absl::StrCat("was issued for a stream of ", spelt(issued_for),
                     ", not of ", spelt(asked_for),
                     " (it would skip entries); give it with the kinds it "
                     "was issued for, or watch these kinds without a "
                     "cursor"));
  }
  return absl::OkStatus();
}

// Orders the next of each feed's rows by time (feed rank and sequence for
// the same instant), as ListTimelineEntries does.
bool Before(const AppliedRow& a, int a_rank, const AppliedRow& b, int b_rank) {
  if (a.row.time != b.row.time) return a.row.time < b.row.time;
  if (a_rank != b_rank) return a_rank < b_rank;
  return a.row.sequence < b.row.sequence;
}

}  // namespace

absl::StatusOr<TimelineWatch> RecordDomain::OpenTimelineWatch(
    const Principal& caller, const v1::WatchTimelineRequest& request) {
  TimelineWatch watch;
  ASSIGN_OR_RETURN(
      watch.person_id,
      KnownPerson(caller, "parent", request.parent(), "WatchTimeline"));
  watch.person = absl::StrCat("persons/", watch.person_id);
  for (int kind : request.kinds()) {
    if (kind == v1::ENTRY_KIND_UNSPECIFIED || !v1::EntryKind_IsValid(kind)) {
      return carebridge::errors::Invalid("kinds",
                                         absl::StrCat(kind, " is not a kind"));
    }
    watch.kinds.push_back(static_cast<v1::EntryKind>(kind));
  }
  ASSIGN_OR_RETURN(watch.epoch, store_->TimelineEpoch());
  bool sequences = false;
  RETURN_IF_ERROR(DecodeCursor(request.cursor(), watch, &sequences));
  if (sequences) {
    ASSIGN_OR_RETURN(watch.after, store_->PositionsOfSequences(watch.person_id,
                                                               watch.after));
  }
  return watch;
}

absl::StatusOr<v1::WatchTimelineResponse> RecordDomain::ReadTimelineWatch(
    const Principal& caller, TimelineWatch& watch) {
  // Merged meanwhile: the stream ends, naming the person kept.
  RETURN_IF_ERROR(
      KnownPerson(caller, "parent", watch.person, "WatchTimeline").status());
  ASSIGN_OR_RETURN(
      const TimelineView view,
      ViewFor(caller, watch.person, watch.person_id, RemoteCalls::kAllowed));
  TimelineSinceQuery query;
  query.person_id = watch.person_id;
  query.kinds = watch.kinds;
  query.after = watch.after;
  query.limit_per_feed = kEntriesPerFeed;
  ASSIGN_OR_RETURN(FeedRows rows, store_->ReadTimelineSince(query));
  // Each feed's rows are in position order (the order the record put
  // them on this timeline); merged by time, each feed's taken rows stay a
  // prefix of its own, so the positions say exactly what was read. A feed
  // cut at its limit may have older rows unread: the merge stops when it
  // has none left to offer.
  std::array<bool, kTimelineFeeds> more = {};
  for (int rank = 0; rank < kTimelineFeeds; ++rank) {
    if (static_cast<int>(rows[rank].size()) > kEntriesPerFeed) {
      rows[rank].pop_back();
      more[rank] = true;
    }
  }
  std::array<size_t, kTimelineFeeds> next = {};
  v1::WatchTimelineResponse response;
  size_t bytes = 0;
  bool full = false;
  while (!full) {
    int pick = -1;
    bool blocked = false;
    for (int rank = 0; rank < kTimelineFeeds; ++rank) {
      if (next[rank] == rows[rank].size()) {
        blocked = blocked || more[rank];
        continue;
      }
      if (pick < 0 ||
          Before(rows[rank][next[rank]], rank, rows[pick][next[pick]], pick)) {
        pick = rank;
      }
    }
    if (pick < 0 || blocked) break;
    AppliedRow& row = rows[pick][next[pick]];
    if (view.Show(row.row, response.mutable_entries())) {
      const size_t size = response.entries().rbegin()->ByteSizeLong();
      // The first entry always goes in, so a stream always moves on.
      if (response.entries_size() > 1 && bytes + size > kResponseBudgetBytes) {
        response.mutable_entries()->RemoveLast();
        full = true;
        break;
      }
      bytes += size;
    }
    watch.after[pick] = row.position;
    ++next[pick];
  }
  bool caught_up = !full;
  for (int rank = 0; rank < kTimelineFeeds; ++rank) {
    if (more[rank] || next[rank] < rows[rank].size()) caught_up = false;
  }
  response.set_cursor(EncodeCursor(watch));
  response.set_caught_up(caught_up);
  *response.mutable_freshness() = freshness_();
  return response;
}

}  // namespace carebridge::record
