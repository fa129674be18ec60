#include "platform/postgres_federation.h"

#include <pqxx/pqxx>

#include <algorithm>
#include <cstdio>

#include "platform/asio_server_driver.h"
#include "platform/postgres_storage.h"

namespace yt {
namespace {

constexpr long long kSchemaLock = 0x79745f6665646572LL;  // "yt_feder"

constexpr const char* kSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS yt_servers (
  id        SERIAL      PRIMARY KEY,
  name      TEXT        NOT NULL,
  heartbeat TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS yt_presence (
  key    BYTEA   PRIMARY KEY,
  server INTEGER NOT NULL,
  notice BYTEA   NOT NULL
);
CREATE TABLE IF NOT EXISTS yt_federation_queue (
  id        BIGSERIAL PRIMARY KEY,
  to_server INTEGER   NOT NULL,
  body      BYTEA     NOT NULL
);
CREATE INDEX IF NOT EXISTS yt_federation_queue_by_server ON yt_federation_queue(to_server, id);
)sql";

constexpr const char* kChannel = "yt_federation";

const double kTimeoutSeconds = std::chrono::duration<double>(PostgresFederation::kServerTimeout).count();

pqxx::binarystring binary(const Bytes& b) { return pqxx::binarystring(b.data(), b.size()); }

Bytes bytes_of(const pqxx::field& field) {
  pqxx::binarystring b(field);
  return Bytes(b.data(), b.data() + b.size());
}

// Wakes the loop for every NOTIFY on the channel; the queue says what arrived.
class Wake final : public pqxx::notification_receiver {
 public:
  explicit Wake(pqxx::connection_base& c) : pqxx::notification_receiver(c, kChannel) {}
  void operator()(const std::string&, int) override {}
};

}  // namespace

PostgresFederation::PostgresFederation(boost::asio::io_context& io, std::string url, std::string name)
    : io_(io), url_(std::move(url)), name_(std::move(name)), timer_(io) {}

PostgresFederation::~PostgresFederation() {
  *alive_ = false;
  if (listen_socket_) listen_socket_->release();  // the descriptor is libpq's
}

Result<std::unique_ptr<PostgresFederation>, std::string> PostgresFederation::open(boost::asio::io_context& io,
                                                                                  const std::string& url,
                                                                                  const std::string& name) {
  std::unique_ptr<PostgresFederation> link(new PostgresFederation(io, url, name));
  try {
    link->db_ = std::make_unique<pqxx::connection>(url);
    pqxx::work w(*link->db_);
    w.exec_params("SELECT pg_advisory_xact_lock($1)", kSchemaLock);
    w.exec(kSchemaSql);
    link->id_ = w.exec_params1("INSERT INTO yt_servers(name) VALUES ($1) RETURNING id", name)[0].as<std::uint32_t>();
    w.commit();
  } catch (const std::exception& e) {
    return Err{"cannot use database " + redact_postgres_url(url) + " for several servers: " + postgres_error_text(e)};
  }
  return link;
}

void PostgresFederation::attach(AsioServerDriver& driver) {
  driver_ = &driver;
  std::weak_ptr<bool> alive = alive_;
  driver.set_federation_sink([this, alive](std::vector<FederationMessage> messages) {
    if (!alive.expired()) send(std::move(messages));
  });
  load_presence();
  listen();
  tick();
}

void PostgresFederation::failed(const char* what, const std::exception& e) {
  ++stats_.database_errors;
  if (auto held = log_.admit(LogThrottle::Clock::now())) {
    std::fprintf(stderr, "yellowtail-server: federation: %s failed: %s%s\n", what, postgres_error_text(e).c_str(),
                 held_back_note(*held).c_str());
  }
}

bool PostgresFederation::reconnect() {
  try {
    if (!db_ || !db_->is_open()) db_ = std::make_unique<pqxx::connection>(url_);
    if (!listen_ || !listen_->is_open()) listen();
    return true;
  } catch (const std::exception& e) {
    failed("reconnecting", e);
    db_.reset();
    return false;
  }
}

void PostgresFederation::send(std::vector<FederationMessage> messages) {
  if (stopped_ || messages.empty()) return;
  try {
    if (!db_) throw pqxx::broken_connection("no connection to the database");
    pqxx::work w(*db_);
    for (const FederationMessage& message : messages) {
      const Bytes body = encode_federation(message);
      if (const auto* notice = std::get_if<PresenceNotice>(&message)) {
        const PublicKey& key = notice->presence.key;
        const pqxx::binarystring key_bytes(key.data(), key.size());
        if (notice->presence.online) {
          w.exec_params(
              "INSERT INTO yt_presence(key, server, notice) VALUES ($1, $2, $3) "
              "ON CONFLICT (key) DO UPDATE SET server = EXCLUDED.server, notice = EXCLUDED.notice",
              key_bytes, id_, binary(body));
        } else {
          w.exec_params("DELETE FROM yt_presence WHERE key = $1 AND server = $2", key_bytes, id_);
        }
        w.exec_params(
            "INSERT INTO yt_federation_queue(to_server, body) SELECT id, $1 FROM yt_servers "
            "WHERE id <> $2 AND heartbeat > now() - make_interval(secs => $3)",
            binary(body), id_, kTimeoutSeconds);
      } else {
        w.exec_params("INSERT INTO yt_federation_queue(to_server, body) VALUES ($1, $2)",
                      std::get<ForwardedMessage>(message).to_server, binary(body));
      }
    }
    w.exec(std::string("NOTIFY ") + kChannel);
    w.commit();
    stats_.sent += messages.size();
  } catch (const pqxx::broken_connection& e) {
    db_.reset();
    failed("sending", e);
    republish_ = true;
  } catch (const std::exception& e) {
    failed("sending", e);
    republish_ = true;
  }
}

void PostgresFederation::listen() {
  if (listen_socket_) {
    listen_socket_->release();
    listen_socket_.reset();
  }
  wake_.reset();  // before its connection
  listen_.reset();
  listen_ = std::make_unique<pqxx::connection>(url_);
  wake_ = std::make_unique<Wake>(*listen_);
  listen_socket_ = std::make_unique<boost::asio::posix::stream_descriptor>(io_, listen_->sock());
  receive();
}

void PostgresFederation::receive() {
  std::weak_ptr<bool> alive = alive_;
  boost::asio::posix::stream_descriptor* socket = listen_socket_.get();
  socket->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                     [this, alive, socket](const boost::system::error_code& ec) {
                       if (alive.expired() || stopped_ || ec || socket != listen_socket_.get()) return;
                       try {
                         listen_->get_notifs();
                       } catch (const std::exception& e) {
                         failed("listening", e);
                         listen_socket_->release();
                         listen_socket_.reset();
                         wake_.reset();
                         listen_.reset();  // made again at the next heartbeat
                         return;
                       }
                       drain_queue();
                       receive();
                     });
}

void PostgresFederation::deliver(const Bytes& body) {
  auto message = decode_federation(body);
  if (!message) {
    ++stats_.malformed;
    return;
  }
  ++stats_.received;
  driver_->on_federation(message.value());
}

void PostgresFederation::load_presence() {
  std::vector<Bytes> notices;
  try {
    pqxx::read_transaction r(*db_);
    auto rows = r.exec_params(
        "SELECT p.notice FROM yt_presence p JOIN yt_servers s ON s.id = p.server "
        "WHERE p.server <> $1 AND s.heartbeat > now() - make_interval(secs => $2) ORDER BY p.key",
        id_, kTimeoutSeconds);
    r.commit();
    for (const auto& row : rows) notices.push_back(bytes_of(row[0]));
  } catch (const std::exception& e) {
    failed("loading presence", e);
  }
  // After the transaction: what the core answers may be sent at once.
  for (const Bytes& notice : notices) deliver(notice);
}

// Takes this server's messages off the queue, in the order they were sent.
void PostgresFederation::drain_queue() {
  if (stopped_ || !db_) return;
  std::vector<std::pair<long long, Bytes>> queued;
  try {
    pqxx::work w(*db_);
    auto rows = w.exec_params("DELETE FROM yt_federation_queue WHERE to_server = $1 RETURNING id, body", id_);
    w.commit();
    for (const auto& row : rows) queued.emplace_back(row[0].as<long long>(), bytes_of(row[1]));
  } catch (const pqxx::broken_connection& e) {
    db_.reset();
    failed("reading the queue", e);
    return;
  } catch (const std::exception& e) {
    failed("reading the queue", e);
    return;
  }
  std::sort(queued.begin(), queued.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [id, body] : queued) deliver(body);
}

// The heartbeat: renews ours, notices the servers that stopped, cleans up after them.
void PostgresFederation::tick() {
  if (stopped_) return;
  if ((db_ && listen_) || reconnect()) {
    try {
      // The transaction ends before anything below can send (a send opens its own).
      bool still_registered = false;
      std::set<std::uint32_t> live;
      {
        pqxx::work w(*db_);
        still_registered =
            w.exec_params("UPDATE yt_servers SET heartbeat = now() WHERE id = $1", id_).affected_rows() == 1;
        if (!still_registered) {
          // Taken for gone while the database was out of reach: back under the same id.
          w.exec_params("INSERT INTO yt_servers(id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING", id_, name_);
        }
        for (const auto& row : w.exec_params("SELECT id FROM yt_servers WHERE id <> $1 AND "
                                             "heartbeat > now() - make_interval(secs => $2)",
                                             id_, kTimeoutSeconds)) {
          live.insert(row[0].as<std::uint32_t>());
        }
        w.exec_params("DELETE FROM yt_servers WHERE heartbeat <= now() - make_interval(secs => $1)",
                      kTimeoutSeconds);
        w.exec("DELETE FROM yt_presence WHERE server NOT IN (SELECT id FROM yt_servers)");
        w.exec("DELETE FROM yt_federation_queue WHERE to_server NOT IN (SELECT id FROM yt_servers)");
        w.commit();
      }
      std::vector<std::uint32_t> gone;
      std::set_difference(live_servers_.begin(), live_servers_.end(), live.begin(), live.end(),
                          std::back_inserter(gone));
      live_servers_ = std::move(live);
      for (std::uint32_t server : gone) {
        ++stats_.servers_gone;
        driver_->on_server_gone(server);
      }
      if (!still_registered || republish_) {
        // The others dropped our clients, or missed what we could not send: tell
        // them again who is online here.
        republish_ = false;
        std::vector<FederationMessage> presence;
        for (ClientPresence& p : driver_->core().hosted_presence()) {
          presence.push_back(PresenceNotice{id_, std::move(p)});
        }
        send(std::move(presence));
      }
    } catch (const pqxx::broken_connection& e) {
      db_.reset();
      failed("heartbeat", e);
    } catch (const std::exception& e) {
      failed("heartbeat", e);
    }
    drain_queue();  // in case a notification was missed
  }
  std::weak_ptr<bool> alive = alive_;
  timer_.expires_after(kHeartbeat);
  timer_.async_wait([this, alive](const boost::system::error_code& ec) {
    if (!ec && !alive.expired()) tick();
  });
}

void PostgresFederation::stop() {
  if (stopped_) return;
  stopped_ = true;
  timer_.cancel();
  if (listen_socket_) {
    listen_socket_->release();
    listen_socket_.reset();
  }
  wake_.reset();
  if (driver_) driver_->set_federation_sink(nullptr);
  try {
    if (!db_) return;
    pqxx::work w(*db_);
    w.exec_params("DELETE FROM yt_servers WHERE id = $1", id_);
    w.exec_params("DELETE FROM yt_presence WHERE server = $1", id_);
    w.exec_params("DELETE FROM yt_federation_queue WHERE to_server = $1", id_);
    w.commit();
  } catch (const std::exception& e) {
    failed("leaving", e);
  }
}

}  // namespace yt
