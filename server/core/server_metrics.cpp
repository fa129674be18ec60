#include "server/core/server_metrics.h"

#include <cstdint>

#include "protocol/prometheus_text.h"

namespace yt {

std::string server_metrics_text(const ServerStats& s, const ServerGauges& g, const NegotiationCounts& n) {
  std::string out;
  auto counter = [&out](const char* name, const char* help, std::uint64_t value) {
    prometheus_metric(out, name, "counter", help, value);
  };
  auto gauge = [&out](const char* name, const char* help, std::uint64_t value) {
    prometheus_metric(out, name, "gauge", help, value);
  };
  gauge("yellowtail_server_clients_online", "Clients logged in and past discovery.", g.clients_online);
  gauge("yellowtail_server_connections", "Control connections admitted and open.", g.connections);
  gauge("yellowtail_server_max_connections", "The cap on control connections.", g.max_connections);
  gauge("yellowtail_server_relay_pairs", "Pairs bound at the built-in relay.", g.relay_pairs);
  gauge("yellowtail_server_clients_mirrored", "Online clients hosted by the other servers.", g.clients_mirrored);
  counter("yellowtail_server_connections_accepted_total", "Control connections accepted.", s.connections_accepted);
  counter("yellowtail_server_connections_refused_total", "Connections over the total or per-address cap.",
          s.connections_refused);
  counter("yellowtail_server_handshakes_deferred_total", "Handshakes told to retry later (busy).",
          s.handshakes_deferred);
  counter("yellowtail_server_password_attempts_deferred_total", "Joins and creates over the per-address rate.",
          s.password_attempts_deferred);
  counter("yellowtail_server_logins_total", "Successful logins.", s.logins);
  counter("yellowtail_server_sessions_replaced_total", "Logins that replaced the same key's older session.",
          s.sessions_replaced);
  counter("yellowtail_server_handshake_failures_total", "Bad keys, replays and malformed handshakes.",
          s.handshake_failures);
  counter("yellowtail_server_malformed_frames_total", "Undecodable control frames.", s.malformed_frames);
  counter("yellowtail_server_tcp_mappings_total", "TCP mappings learned for TCP hole punching.", s.tcp_mappings);
  counter("yellowtail_server_auth_failures_total", "Sealed frames that did not authenticate.", s.auth_failures);
  counter("yellowtail_server_malformed_datagrams_total", "Undecodable datagrams.", s.malformed_datagrams);
  counter("yellowtail_server_unknown_discovery_tokens_total", "Discovery probes with an unknown token.",
          s.unknown_discovery_tokens);
  counter("yellowtail_server_discovery_replies_total", "Discovery replies sent.", s.discovery_replies);
  counter("yellowtail_server_lifetime_replies_total", "Delayed mapping-lifetime answers sent.", s.lifetime_replies);
  counter("yellowtail_server_tunnel_instructions_total", "Tunnel instructions sent (one per side).",
          s.tunnel_instructions);
  counter("yellowtail_server_relay_offers_total", "Pairs given a relay ticket.", s.relay_offers);
  counter("yellowtail_server_relay_offers_separate_total", "Relay tickets for a separate relay.",
          s.relay_offers_separate);
  counter("yellowtail_server_relays_registered_total", "Separate relay registrations taken.", s.relays_registered);
  counter("yellowtail_server_relay_registrations_refused_total", "Relay registrations refused.",
          s.relay_registrations_refused);
  counter("yellowtail_server_relay_repicks_total", "Pairs planned again because their relay went away.",
          s.relay_repicks);
  counter("yellowtail_server_tunnel_requests_ignored_total", "Tunnel requests too soon or not allowed.",
          s.tunnel_requests_ignored);
  counter("yellowtail_server_plans_queued_total", "Plans behind a sequential NAT that waited their turn.",
          s.plans_queued);
  counter("yellowtail_server_mapping_refreshes_total", "Clients asked to show their NAT's newest mapping.",
          s.mapping_refreshes);
  counter("yellowtail_server_refreshes_missed_total", "Plans made before every refresh probe arrived.",
          s.refreshes_missed);
  counter("yellowtail_server_tunnel_outcomes_duplicate_total", "Outcome reports of a negotiation counted already.",
          s.tunnel_outcomes_duplicate);
  counter("yellowtail_server_tunnel_outcomes_unknown_total", "Outcome reports of a tunnel id not remembered here.",
          s.tunnel_outcomes_unknown);
  counter("yellowtail_server_tunnel_outcomes_foreign_total", "Outcome reports of plans another server made.",
          s.tunnel_outcomes_foreign);
  counter("yellowtail_server_tunnel_outcomes_not_a_side_total", "Outcome reports from a client not a side of the plan.",
          s.tunnel_outcomes_not_a_side);
  counter("yellowtail_server_negotiations_unreported_total", "Plans forgotten before either side reported an outcome.",
          n.unreported);
  counter("yellowtail_server_idle_disconnects_total", "Connections closed for silence.", s.idle_disconnects);
  counter("yellowtail_server_storage_errors_total", "Database operations that failed.", s.storage_errors);
  counter("yellowtail_server_presence_notices_sent_total", "Presence notices sent to the other servers.",
          s.presence_notices_sent);
  counter("yellowtail_server_presence_notices_received_total", "Presence notices from the other servers.",
          s.presence_notices_received);
  counter("yellowtail_server_messages_forwarded_total", "Control messages for clients hosted by another server.",
          s.messages_forwarded);
  counter("yellowtail_server_forwarded_delivered_total", "Messages from another server sent to our client.",
          s.forwarded_delivered);
  counter("yellowtail_server_forwarded_undeliverable_total", "Messages from another server for a client gone.",
          s.forwarded_undeliverable);
  counter("yellowtail_server_sessions_moved_total", "Our clients that logged in on another server.",
          s.sessions_moved);
  counter("yellowtail_server_servers_gone_total", "Other servers whose clients were taken offline.", s.servers_gone);
  const char* negotiations = "yellowtail_server_negotiations_total";
  prometheus_header(out, negotiations, "counter",
                    "Tunnel negotiations by NAT-pair class and outcome, as the first side reported it.");
  for (const auto& [key, value] : n.outcomes) {
    prometheus_sample(out,
                      std::string(negotiations) + "{pair=\"" + prometheus_label_value(key.first) + "\",outcome=\"" +
                          prometheus_label_value(to_string(key.second)) + "\"}",
                      value);
  }
  out += n.time_to_direct.text("yellowtail_server_time_to_direct_seconds",
                               "From the tunnel instruction to the direct path, as the first side reported it.");
  return out;
}

}  // namespace yt
