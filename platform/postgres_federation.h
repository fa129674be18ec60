// The link between yellowtail-servers that share one PostgreSQL database
// (server/core/federation.h): how their federation messages travel.
//
//   yt_servers           one row per running server: its id (the core's
//                        federation_id) and a heartbeat, renewed every second
//   yt_presence          the latest PresenceNotice of every online client, by key,
//                        so a server that starts later learns who is online where
//   yt_federation_queue  messages waiting for one server, in id order
//
// Sending appends to the queue (a PresenceNotice once per other live server) and
// NOTIFYs channel yt_federation in the same transaction; a server LISTENs on its own
// connection, and on a notification (and every heartbeat, in case one was missed)
// takes its rows off the queue in order and feeds them to its core. A server whose
// heartbeat is older than kServerTimeout is gone: its clients go offline for the
// others (ServerCore::on_server_gone), and its rows are removed.
//
// Database calls block the Asio loop for a round trip each, like SqliteStorage's do;
// the database is meant to be near (same host or LAN). A lost database connection is
// retried at every heartbeat; the server keeps serving its own clients meanwhile, and
// once it is back tells the others who is online here again. (A client that went
// offline during the gap stays mirrored elsewhere until it comes back or this server
// stops: offline notices are not replayed.)
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <pqxx/connection>
#include <pqxx/notification>

#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "platform/log_throttle.h"
#include "protocol/result.h"
#include "server/core/federation.h"

namespace yt {

class AsioServerDriver;

class PostgresFederation {
 public:
  static constexpr auto kHeartbeat = std::chrono::seconds(1);
  static constexpr auto kServerTimeout = std::chrono::seconds(5);

  // Connects twice (queries, and LISTEN), creates the tables when absent and
  // registers this server under `name`; server_id() is then its federation id.
  static Result<std::unique_ptr<PostgresFederation>, std::string> open(boost::asio::io_context& io,
                                                                      const std::string& url, const std::string& name);
  ~PostgresFederation();
  PostgresFederation(const PostgresFederation&) = delete;
  PostgresFederation& operator=(const PostgresFederation&) = delete;

  std::uint32_t server_id() const { return id_; }
  // Wires the driver both ways, loads who is online on the other servers, and starts
  // listening and the heartbeat. `driver` must outlive this object or stop() first.
  void attach(AsioServerDriver& driver);
  // Stops listening and takes this server out of the database: the others drop its
  // clients at once instead of after kServerTimeout.
  void stop();

  struct Stats {
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    std::uint64_t malformed = 0;      // queue rows that did not decode (dropped)
    std::uint64_t database_errors = 0;
    std::uint64_t servers_gone = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  PostgresFederation(boost::asio::io_context& io, std::string url, std::string name);
  void send(std::vector<FederationMessage> messages);
  void listen();
  void receive();
  void drain_queue();
  void tick();
  void load_presence();
  void deliver(const Bytes& body);
  bool reconnect();
  void failed(const char* what, const std::exception& e);

  boost::asio::io_context& io_;
  std::string url_;
  std::string name_;
  std::uint32_t id_ = 0;
  std::unique_ptr<pqxx::connection> db_;      // queries
  std::unique_ptr<pqxx::connection> listen_;  // LISTEN yt_federation only
  std::unique_ptr<pqxx::notification_receiver> wake_;  // on listen_; destroyed first
  std::unique_ptr<boost::asio::posix::stream_descriptor> listen_socket_;
  boost::asio::steady_timer timer_;
  AsioServerDriver* driver_ = nullptr;
  std::set<std::uint32_t> live_servers_;  // the others, as of the last heartbeat
  Stats stats_;
  LogThrottle log_{5, std::chrono::seconds(30)};
  bool stopped_ = false;
  bool republish_ = false;  // a send failed: tell everyone our clients again at the next heartbeat
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace yt
