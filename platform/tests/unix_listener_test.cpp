#include "platform/unix_listener.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <filesystem>
#include <fstream>

#include "platform/local_addresses.h"
#include "platform/tests/temp_dir_test_base.h"

namespace yt {
namespace {

class UnixListenerTest : public test_support::TempDirTest {
 protected:
  boost::asio::io_context io_;
};

TEST_F(UnixListenerTest, OwnerOnlySocketAcceptsAndIsRemoved) {
  std::string path = root_ + "/sub/control.sock";
  auto listener = UnixListener::create(io_, path, "");
  ASSERT_TRUE(listener.ok()) << listener.error();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  bool accepted = false;
  long uid = -2;
  (*listener)->start([&](UnixListener::Socket socket) {
    accepted = true;
    uid = peer_uid(socket);
  });
  boost::asio::local::stream_protocol::socket client(io_);
  client.connect(boost::asio::local::stream_protocol::endpoint(path));
  io_.run_for(std::chrono::seconds(2));
  EXPECT_TRUE(accepted);
  EXPECT_EQ(uid, static_cast<long>(::geteuid()));
  listener->reset();
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(UnixListenerTest, GroupSocketIs0660) {
  auto listener = UnixListener::create(io_, root_ + "/g.sock", "root");
  ASSERT_TRUE(listener.ok()) << listener.error();
  struct stat st {};
  ASSERT_EQ(::stat((root_ + "/g.sock").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  EXPECT_EQ(st.st_gid, 0u);
}

TEST_F(UnixListenerTest, UnknownGroupIsExplained) {
  auto listener = UnixListener::create(io_, root_ + "/g.sock", "no-such-group-yt");
  ASSERT_FALSE(listener.ok());
  EXPECT_NE(listener.error().find("does not exist"), std::string::npos) << listener.error();
}

TEST_F(UnixListenerTest, LiveSocketIsNotStolenStaleOneIsReplaced) {
  std::string path = root_ + "/c.sock";
  auto first = UnixListener::create(io_, path, "");
  ASSERT_TRUE(first.ok());
  auto second = UnixListener::create(io_, path, "");
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().find("another yellowtaild"), std::string::npos) << second.error();
  {
    // A socket file nobody listens on, as a crashed daemon leaves behind.
    boost::asio::local::stream_protocol::acceptor stale(io_);
    stale.open();
    stale.bind(boost::asio::local::stream_protocol::endpoint(root_ + "/stale.sock"));
  }
  auto replaced = UnixListener::create(io_, root_ + "/stale.sock", "");
  EXPECT_TRUE(replaced.ok()) << replaced.error();
}

TEST_F(UnixListenerTest, NonSocketPathIsRefused) {
  std::ofstream(root_ + "/file") << "x";
  auto listener = UnixListener::create(io_, root_ + "/file", "");
  ASSERT_FALSE(listener.ok());
  EXPECT_NE(listener.error().find("not a socket"), std::string::npos);
  EXPECT_FALSE(UnixListener::create(io_, "/" + std::string(200, 'x'), "").ok());
}

TEST(LocalAddresses, NoLoopbackNorExcluded) {
  for (Ipv4 ip : local_ipv4_addresses()) EXPECT_NE(ip.value >> 24, 127u) << ip.to_string();
  EXPECT_TRUE(local_ipv4_addresses({"lo"}).size() <= local_ipv4_addresses().size());
}

}  // namespace
}  // namespace yt
