#include "emulation/demo_scenario.h"

#include <ns3/core-module.h>
#include <ns3/internet-module.h>

#include "emulation/event_log.h"
#include "emulation/ns3_conversions.h"
#include "emulation/topology.h"
#include "emulation/yt_client_app.h"
#include "emulation/yt_server_app.h"
#include "server/core/memory_storage.h"

namespace yt::emulation {
namespace {

constexpr std::uint16_t kControlPort = 12975;    // Hamachi's historical control port
constexpr std::uint16_t kDiscoveryPort = 12975;  // UDP, same number
constexpr char kNetwork[] = "lan-party";
constexpr char kPassword[] = "correct horse";
const Duration kRunTime = 20s;

std::string message_text(int i) { return "hello #" + std::to_string(i) + " from alice"; }

}  // namespace

DemoResult run_demo(const DemoOptions& options) {
  DemoResult result;
  ns3::RngSeedManager::SetSeed(1);
  ns3::RngSeedManager::SetRun(options.seed);

  EventLog log;
  Topology topology;
  LinkSpec link;
  link.delay = options.access_delay;
  link.loss_rate = options.loss_rate;
  ns3::Ptr<ns3::Node> server_node = topology.AddServer(link);
  ns3::Ptr<ns3::Node> alice_node = topology.AddPublicHost(link);
  ns3::Ptr<ns3::Node> bob_node = topology.AddPublicHost(link);
  int64_t stream = topology.AssignStreams(0);

  Ns3RandomSource key_rng;
  stream += key_rng.assign_streams(stream);
  Identity server_identity = Identity::generate(key_rng);
  Ipv4 server_ip = topology.AddressOf(server_node);

  MemoryStorage storage;
  ServerConfig server_config;
  server_config.discovery_endpoints = {Endpoint{server_ip, kDiscoveryPort}};
  server_config.password_strength = PwhashStrength::minimum();  // CPU-bound; keep runs fast
  auto server = ns3::CreateObject<YtServerApp>();
  server->Setup("server", server_config, server_identity, &storage, kControlPort, &log);
  stream += server->AssignStreams(stream);
  server_node->AddApplication(server);
  server->SetStartTime(ns3::Seconds(0));

  auto make_client = [&](ns3::Ptr<ns3::Node> node, const std::string& name, double start) {
    ClientConfig config;
    config.server = Endpoint{server_ip, kControlPort};
    config.server_key = server_identity.public_key;
    config.nickname = name;
    auto app = ns3::CreateObject<YtClientApp>();
    app->Setup(name, config, std::nullopt, &log);
    stream += app->AssignStreams(stream);
    node->AddApplication(app);
    app->SetStartTime(ns3::Seconds(start));
    return app;
  };
  ns3::Ptr<YtClientApp> alice = make_client(alice_node, "alice", 0.5);
  ns3::Ptr<YtClientApp> bob = make_client(bob_node, "bob", 0.7);

  // Scenario steps, each triggered by what the previous one produced.
  std::uint32_t create_request = 0, wrong_join = 0;
  bool alice_synced = false, bob_synced = false, network_created = false, join_started = false;
  // Bob joins once the network exists and he is online, whichever happens last;
  // first with a wrong password, which must be refused.
  auto maybe_join = [&] {
    if (join_started || !network_created || !bob_synced) return;
    join_started = true;
    // Scheduled, not called inline: this runs while a core's outputs drain.
    ns3::Simulator::ScheduleNow([&] {
      if (auto id = bob->Core().join_network(core_now(), kNetwork, "wrong password")) wrong_join = *id;
      bob->Pump();
    });
  };
  alice->SetEventCallback([&](const ClientEvent& event) {
    if (std::holds_alternative<Synced>(event) && !alice_synced) {
      alice_synced = true;
      if (auto id = alice->Core().create_network(core_now(), kNetwork, kPassword)) create_request = *id;
      alice->Pump();
    } else if (auto* done = std::get_if<RequestDone>(&event); done && done->request_id == create_request) {
      network_created = done->code == ReplyCode::kOk;
      maybe_join();
    } else if (auto* up = std::get_if<TunnelUp>(&event)) {
      result.alice_tunnel_up = true;
      result.alice_time_to_direct = up->time_to_direct;
      for (int i = 0; i < options.messages; ++i) {
        ns3::Simulator::Schedule(ns3::MilliSeconds(100 * (i + 1)), [&, i, peer = up->peer] {
          std::string text = message_text(i);
          if (alice->Core().send_to_peer(core_now(), peer, as_bytes(text))) ++result.sent;
          alice->Pump();
        });
      }
    } else if (auto* packet = std::get_if<PacketReceived>(&event)) {
      std::string text(packet->packet.begin(), packet->packet.end());
      if (text.rfind("echo: ", 0) == 0 && text.substr(6, 6) == "hello ") ++result.echoed;
    }
  });
  bob->SetEventCallback([&](const ClientEvent& event) {
    if (std::holds_alternative<Synced>(event)) {
      bob_synced = true;
      maybe_join();
    } else if (auto* done = std::get_if<RequestDone>(&event); done && done->request_id == wrong_join) {
      result.wrong_password_refused = done->code == ReplyCode::kWrongPassword;
      ns3::Simulator::ScheduleNow([&] {
        (void)bob->Core().join_network(core_now(), kNetwork, kPassword);
        bob->Pump();
      });
    } else if (std::holds_alternative<TunnelUp>(event)) {
      result.bob_tunnel_up = true;
    } else if (auto* packet = std::get_if<PacketReceived>(&event)) {
      std::string text(packet->packet.begin(), packet->packet.end());
      if (text.rfind("hello #", 0) == 0) {
        ++result.delivered;
        std::string echo = "echo: " + text;
        // Scheduled, not sent inline: the callback runs while Bob's outputs drain.
        ns3::Simulator::ScheduleNow([&, echo, peer = packet->peer] {
          (void)bob->Core().send_to_peer(core_now(), peer, as_bytes(echo));
          bob->Pump();
        });
      }
    }
  });

  ns3::Simulator::Stop(to_ns3(kRunTime));
  ns3::Simulator::Run();
  result.simulated_seconds = ns3::Simulator::Now().GetSeconds();
  ns3::Simulator::Destroy();
  result.log = log.lines();
  return result;
}

}  // namespace yt::emulation
