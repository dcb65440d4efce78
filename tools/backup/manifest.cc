#include "tools/backup/manifest.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace carebridge::backup {

using nlohmann::json;

std::string ManifestToJson(const Manifest& manifest) {
  json files = json::array();
  for (const BackupFile& file : manifest.files) {
    json entry = {{"path", file.path},
                  {"kind", file.sqlite ? "sqlite" : "file"},
                  {"bytes", file.bytes},
                  {"sha256", file.sha256},
                  {"mode", file.mode}};
    if (file.sqlite) {
      entry["user_version"] = file.facts.user_version;
      if (file.facts.feed.has_value()) {
        entry["feed"] = {{"head_sequence", file.facts.feed->head_sequence},
                         {"epoch", file.facts.feed->epoch}};
      }
      json cursors = json::array();
      for (const CursorFacts& cursor : file.facts.cursors) {
        cursors.push_back({{"feed", cursor.feed},
                           {"sequence", cursor.sequence},
                           {"epoch", cursor.epoch}});
      }
      if (!cursors.empty()) entry["consumer_cursors"] = cursors;
    }
    files.push_back(std::move(entry));
  }
  json root = {{"format", manifest.format},
               {"created", manifest.created},
               {"version", manifest.version},
               {"data_dir", manifest.data_dir},
               {"files", files}};
  return root.dump(2) + "\n";
}

absl::StatusOr<Manifest> ManifestFromJson(absl::string_view text) {
  const json root = json::parse(text.begin(), text.end(), nullptr,
                                /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(kManifestName, ": not JSON"));
  }
  Manifest manifest;
  try {
    manifest.format = root.at("format").get<int>();
    if (manifest.format != kManifestFormat) {
      return absl::InvalidArgumentError(
          absl::StrCat(kManifestName, ": format ", manifest.format,
                       " (this version reads format ", kManifestFormat, ")"));
    }
    manifest.created = root.at("created").get<std::string>();
    manifest.version = root.value("version", "");
    manifest.data_dir = root.value("data_dir", "");
    for (const json& entry : root.at("files")) {
      BackupFile file;
      file.path = entry.at("path").get<std::string>();
      file.sqlite = entry.at("kind").get<std::string>() == "sqlite";
      file.bytes = entry.at("bytes").get<int64_t>();
      file.sha256 = entry.at("sha256").get<std::string>();
      file.mode = entry.value("mode", 0600u);
      if (file.sqlite) {
        file.facts.user_version = entry.at("user_version").get<int64_t>();
        if (entry.contains("feed")) {
          FeedFacts feed;
          feed.head_sequence =
              entry.at("feed").at("head_sequence").get<int64_t>();
          feed.epoch = entry.at("feed").at("epoch").get<std::string>();
          file.facts.feed = feed;
        }
        for (const json& cursor :
             entry.value("consumer_cursors", json::array())) {
          file.facts.cursors.push_back({cursor.at("feed").get<std::string>(),
                                        cursor.at("sequence").get<int64_t>(),
                                        cursor.at("epoch").get<std::string>()});
        }
      }
      manifest.files.push_back(std::move(file));
    }
  } catch (const json::exception& error) {
    return absl::InvalidArgumentError(
        absl::StrCat(kManifestName, ": ", error.what()));
  }
  return manifest;
}

}  // namespace carebridge::backup
