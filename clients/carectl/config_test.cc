#include "clients/carectl/config.h"

#include <sys/stat.h>

#include <cstdio>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace carebridge::carectl {
namespace {

using ::testing::HasSubstr;

TEST(ConfigTest, ParsesContextsAndTheCurrentOne) {
  auto config = ParseConfig(R"(# mine
current-context = prod

[context prod]
server = carebridge.example:443
token_file = /home/me/prod.token
tls_ca_file = /home/me/ca.pem
[context local]
server=127.0.0.1:50051
)",
                            "c.conf");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->current_context, "prod");
  ASSERT_EQ(config->contexts.size(), 2u);
  EXPECT_EQ(config->Find("prod")->server, "carebridge.example:443");
  EXPECT_EQ(config->Find("prod")->token_file, "/home/me/prod.token");
  EXPECT_EQ(config->Find("prod")->tls_ca_file, "/home/me/ca.pem");
  EXPECT_EQ(config->Find("local")->server, "127.0.0.1:50051");
  EXPECT_EQ(config->Find("other"), nullptr);
}

TEST(ConfigTest, RoundTrips) {
  Config config;
  config.current_context = "a";
  config.FindOrAdd("a").server = "h:1";
  config.FindOrAdd("b").token_file = "/t";
  auto parsed = ParseConfig(SerializeConfig(config), "c.conf");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(SerializeConfig(*parsed), SerializeConfig(config));
}

TEST(ConfigTest, ErrorsNameTheFileAndLine) {
  auto config = ParseConfig("[context a]\nsever = h:1\n", "c.conf");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(),
              HasSubstr("c.conf:2: unknown key 'sever'"));
  EXPECT_THAT(ParseConfig("server = h\n", "c.conf").status().message(),
              HasSubstr("c.conf:1: unknown key 'server' (before any"));
  EXPECT_THAT(ParseConfig("[profile a]\n", "c.conf").status().message(),
              HasSubstr("c.conf:1: expected [context NAME]"));
}

TEST(ConfigTest, PathFromTheEnvironment) {
  EXPECT_EQ(ConfigPath({{"CAREBRIDGE_CONFIG", "/x.conf"}, {"HOME", "/h"}}),
            "/x.conf");
  EXPECT_EQ(ConfigPath({{"HOME", "/h"}}), "/h/.config/carebridge/carectl.conf");
  EXPECT_EQ(ConfigPath({}), "");
}

TEST(ConfigTest, MissingFileIsEmptyAndSavedFileIsOwnerOnly) {
  std::string path = ::testing::TempDir() + "/cfgtest/sub/carectl.conf";
  std::remove(path.c_str());
  auto config = LoadConfig(path);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->contexts.empty());
  config->FindOrAdd("a").server = "h:1";
  ASSERT_TRUE(SaveConfig(path, *config).ok());
  struct stat info;
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  auto loaded = LoadConfig(path);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->Find("a")->server, "h:1");
}

}  // namespace
}  // namespace carebridge::carectl
