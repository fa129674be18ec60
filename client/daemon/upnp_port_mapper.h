// Maps the daemon's main UDP port with UPnP IGD (libminiupnpc) while the client
// core wants a fallback (PortMappingFallback: its own PCP / NAT-PMP mapper gave
// up), renews the mapping before its lease ends and deletes it when no longer
// wanted or at exit. UPnP lives here and not in the core because it is SSDP
// multicast plus HTTP/SOAP to a URL the gateway names, which libminiupnpc does with
// its own blocking sockets; the core is sans-IO, and the ns-3 routers have no UPnP.
//
// Threads: libminiupnpc blocks (discovery waits up to kDiscoveryTimeout, each SOAP
// call up to its 3 s socket timeouts), so every call runs on one worker thread,
// never on the Asio loop or the data path. What the worker learns (a mapping, its
// loss, a line for the log) is posted to the io_context and delivered there, on
// the loop's thread, to `on_change` and to spdlog; the worker never logs itself
// (the daemon's logger is single-threaded).
//
// The sequence, while wanted: discover IGDs (one SSDP search), pick one
// (UPNP_GetValidIGD, which also names our LAN address as the IGD sees it; one that
// calls itself "not connected" is taken too, as miniupnpd can, and its external
// address decides), read its external address (UPNP_GetExternalIPAddress), then AddPortMapping UDP
// external port = our port -> our LAN address:our port, for `lease_s`; an IGD that
// only takes permanent mappings (error 725) gets lease 0. A port another host holds
// (718) is asked for with AddAnyPortMapping (IGD v2), which picks a free one. The
// mapping is renewed (the same AddPortMapping) at half the lease, or every
// kPermanentRecheck for a permanent one; a failed renewal is a lost mapping. No IGD,
// or a refusal, is tried again after kRetryAfterFailure. Wanted again after being
// unwanted (the core started over: login, network change) starts over too.
#pragma once

#include <boost/asio/io_context.hpp>
#include <spdlog/common.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "protocol/messages.h"

namespace yt {

class UpnpPortMapper {
 public:
  // An IGD answers M-SEARCH within a few hundred ms on a LAN; 2 s is what upnpc
  // waits and still a short delay when there is none.
  static constexpr std::chrono::milliseconds kDiscoveryTimeout{2000};
  // A gateway without UPnP today rarely gets it in the next minutes; asking every
  // 5 min costs one multicast and notices an IGD turned on or rebooted.
  static constexpr std::chrono::minutes kRetryAfterFailure{5};
  // A permanent mapping does not expire, but the router may reboot and forget it.
  static constexpr std::chrono::minutes kPermanentRecheck{30};

  // `on_change` gets the mapping obtained or moved (protocol kUpnp), or nullopt
  // when it is lost; on the io_context's thread. `internal_port` is our main UDP
  // socket's, `lease_s` the lease asked (0: permanent).
  UpnpPortMapper(boost::asio::io_context& io, std::uint16_t internal_port, std::uint32_t lease_s,
                 std::function<void(std::optional<PortMappingOffer>)> on_change);
  // Deletes a held mapping before returning: blocks up to libminiupnpc's socket
  // timeouts when the IGD does not answer. `on_change` is not called any more.
  ~UpnpPortMapper();
  UpnpPortMapper(const UpnpPortMapper&) = delete;
  UpnpPortMapper& operator=(const UpnpPortMapper&) = delete;

  // From the loop: start mapping (true) or delete what is held and stay idle
  // (false). Returns at once; the worker acts.
  void set_wanted(bool wanted);

  // When to renew a mapping granted for `lease_s` (0: permanent).
  static std::chrono::seconds renew_after(std::uint32_t lease_s);

 private:
  struct Igd;
  // What the worker learned, for the loop: a change for on_change (nullopt inside:
  // lost) and a line for the log.
  struct Note;
  void run();
  // Finds the IGD (igd_); false, noted, when there is none.
  bool discover();
  // Obtains the mapping, or renews held_; true when held.
  bool map();
  // Deletes held_ at the IGD (a lost mapping for the core).
  void unmap();
  void note(std::optional<std::optional<PortMappingOffer>> change, std::string text,
            spdlog::level::level_enum level = spdlog::level::info);
  std::vector<Note> take_notes();
  static void log(const Note& note);

  boost::asio::io_context& io_;
  const std::uint16_t internal_port_;
  const std::uint32_t lease_s_;
  std::function<void(std::optional<PortMappingOffer>)> on_change_;
  // Handlers posted to the loop check it, so none runs after destruction.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  std::mutex mutex_;
  std::condition_variable wake_;
  bool wanted_ = false;  // under mutex_
  bool stopping_ = false;  // under mutex_
  // Counts set_wanted(true) after false: the core started over and dropped what
  // we offered, so the worker starts over too (delete, discover, map) at once.
  std::uint64_t wanted_generation_ = 0;  // under mutex_

  std::mutex notes_mutex_;
  std::vector<Note> notes_;  // under notes_mutex_

  // The worker's alone.
  std::unique_ptr<Igd> igd_;
  std::optional<PortMappingOffer> held_;
  bool permanent_only_ = false;  // the IGD answered 725 once
  bool said_no_igd_ = false;  // "no IGD" logged at info since the last mapping
  std::thread worker_;
};

}  // namespace yt
