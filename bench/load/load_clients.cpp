#include "bench/load/load_clients.h"

namespace yt::load {

Status<std::string> LoadClients::create(std::size_t first, std::size_t count, Endpoint server,
                                        const PublicKey& server_key) {
  if (first + count > kMaxClients) return Err{"at most " + std::to_string(kMaxClients) + " clients"};
  clients_.reserve(count);
  for (std::size_t k = 0; k < count; ++k) {
    const std::size_t i = first + k;
    ClientConfig config;
    config.server = server;
    config.server_key = server_key;
    config.nickname = "load-" + std::to_string(i);
    // A lifetime measurement only adds waits the load does not need.
    config.measure_mapping_lifetime = false;
    auto driver = AsioClientDriver::create(io_, config, Identity::generate(rng_), rng_, Endpoint{address_of(i), 0});
    if (!driver) return Err{"client " + std::to_string(i) + ": " + driver.error()};
    clients_.emplace_back();
    clients_.back().driver = std::move(*driver);
    clients_.back().driver->set_event_handler([this, k](const ClientEvent& e) { on_event(k, e); });
  }
  for (LoadClient& c : clients_) c.driver->start(/*log_in=*/false);
  return Ok{};
}

void LoadClients::start_all() {
  const Clock::time_point now = Clock::now();
  for (LoadClient& c : clients_) {
    c.started = now;
    c.synced.reset();
    if (c.driver->core().state() == ClientState::kStopped) {
      c.driver->core().start(c.driver->now());
      c.driver->pump();
    }
  }
}

std::size_t LoadClients::synced() const {
  std::size_t n = 0;
  for (const LoadClient& c : clients_) n += c.synced ? 1 : 0;
  return n;
}

bool LoadClients::create_network(std::size_t i, const std::string& name, const std::string& password) {
  LoadClient& c = clients_.at(i);
  auto id = c.driver->core().create_network(c.driver->now(), name, password);
  c.driver->pump();
  if (!id) return false;
  c.requests[*id] = Clock::now();
  return true;
}

bool LoadClients::join_network(std::size_t i, const std::string& name, const std::string& password) {
  LoadClient& c = clients_.at(i);
  auto id = c.driver->core().join_network(c.driver->now(), name, password);
  c.driver->pump();
  if (!id) return false;
  c.requests[*id] = Clock::now();
  return true;
}

void LoadClients::on_event(std::size_t i, const ClientEvent& event) {
  LoadClient& c = clients_[i];
  const Clock::time_point now = Clock::now();
  if (std::holds_alternative<Synced>(event)) {
    if (c.started && !c.synced) c.synced = now;
  } else if (const auto* lost = std::get_if<ServerLost>(&event)) {
    c.last_failure = "server lost: " + lost->reason;
  } else if (const auto* failed = std::get_if<LoginFailed>(&event)) {
    c.last_failure = failed->reason;
    if (failed->reason.rfind("server busy", 0) == 0) {
      ++c.busy;
    } else {
      ++c.login_failures;
    }
  } else if (const auto* done = std::get_if<RequestDone>(&event)) {
    auto it = c.requests.find(done->request_id);
    if (it == c.requests.end()) return;
    c.done.emplace_back(done->request_id, done->code);
    c.request_seconds.push_back(std::chrono::duration<double>(now - it->second).count());
    c.requests.erase(it);
  } else if (const auto* up = std::get_if<TunnelUp>(&event)) {
    if (!c.up[up->peer]) ++c.tunnels_up;
    c.up[up->peer] = true;
  } else if (const auto* relayed = std::get_if<TunnelRelayed>(&event)) {
    if (!c.up[relayed->peer]) ++c.tunnels_up;
    c.up[relayed->peer] = true;
  } else if (const auto* down = std::get_if<TunnelDown>(&event)) {
    if (c.up[down->peer]) --c.tunnels_up;
    c.up[down->peer] = false;
  }
}

}  // namespace yt::load
