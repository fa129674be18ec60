#include "client/daemon/upnp_port_mapper.h"

#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>
#include <miniupnpc/upnperrors.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include <cstdlib>
#include <string>
#include <vector>

namespace yt {
namespace {

// UPnP IGD error codes (UPnP-gw-WANIPConnection, section 2.4.16).
constexpr int kConflictInMappingEntry = 718;
constexpr int kOnlyPermanentLeasesSupported = 725;
constexpr const char* kDescription = "yellowtail";
// M-SEARCH leaves the LAN through no router: TTL 2 is upnpc's default.
constexpr unsigned char kSsdpTtl = 2;

std::string upnp_error(int code) {
  const char* text = strupnperror(code);
  return std::to_string(code) + (text ? std::string(" ") + text : std::string());
}

}  // namespace

struct UpnpPortMapper::Igd {
  UPNPUrls urls{};
  IGDdatas data{};
  std::string lan_address;
  ~Igd() { FreeUPNPUrls(&urls); }
  const char* control() const { return urls.controlURL; }
  const char* service() const { return data.first.servicetype; }
};

struct UpnpPortMapper::Note {
  std::optional<std::optional<PortMappingOffer>> change;
  std::string log;
  spdlog::level::level_enum level = spdlog::level::info;
};

UpnpPortMapper::UpnpPortMapper(boost::asio::io_context& io, std::uint16_t internal_port, std::uint32_t lease_s,
                               std::function<void(std::optional<PortMappingOffer>)> on_change)
    : io_(io), internal_port_(internal_port), lease_s_(lease_s), on_change_(std::move(on_change)) {
  worker_ = std::thread([this] { run(); });
}

UpnpPortMapper::~UpnpPortMapper() {
  *alive_ = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
  // The loop has stopped (we exit): what the worker left, and the deletion, are
  // logged from here, the worker being gone.
  unmap();
  for (Note& note : take_notes()) log(note);
}

void UpnpPortMapper::set_wanted(bool wanted) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (wanted && !wanted_) ++wanted_generation_;
    wanted_ = wanted;
  }
  wake_.notify_all();
}

std::chrono::seconds UpnpPortMapper::renew_after(std::uint32_t lease_s) {
  if (lease_s == 0) return kPermanentRecheck;
  return std::chrono::seconds(std::max<std::uint32_t>(lease_s / 2, 1));
}

void UpnpPortMapper::run() {
  using Clock = std::chrono::steady_clock;
  std::unique_lock<std::mutex> lock(mutex_);
  Clock::time_point next = Clock::time_point::min();  // the next attempt or renewal
  std::uint64_t served = 0;  // the wanted_generation_ the last attempt was for
  while (!stopping_) {
    if (!wanted_) {
      next = Clock::time_point::min();
      if (held_ || igd_) {
        lock.unlock();
        unmap();
        lock.lock();
        continue;
      }
      wake_.wait(lock);
      continue;
    }
    const bool anew = served != wanted_generation_;
    if (!anew && Clock::now() < next) {
      wake_.wait_until(lock, next);
      continue;
    }
    served = wanted_generation_;
    lock.unlock();
    // Wanted anew: the core started over (a network change, a login) and dropped
    // what we offered. A mapping still held from before was asked of what may be
    // another gateway now: delete it and find the IGD again.
    if (anew && (held_ || igd_)) unmap();
    const bool held = map();
    lock.lock();
    next = Clock::now() + std::chrono::duration_cast<Clock::duration>(held ? renew_after(held_->lifetime_s)
                                                                            : kRetryAfterFailure);
  }
}

bool UpnpPortMapper::discover() {
  // One search, for IGD:1, which a v2 gateway answers too (UPnP Device
  // Architecture 1.1, 1.3.2: a device answers searches for lower versions of its
  // type). upnpDiscover would search four types in turn, each waiting the full
  // timeout when nothing answers: 8 s, which an exit would wait out.
  static const char* const kTypes[] = {"urn:schemas-upnp-org:device:InternetGatewayDevice:1", nullptr};
  int error = 0;
  UPNPDev* devices = upnpDiscoverDevices(kTypes, static_cast<int>(kDiscoveryTimeout.count()), nullptr, nullptr, 0, 0,
                                         kSsdpTtl, &error, 0);
  if (!devices) {
    // Most gateways have no UPnP: said once, then only in debug logs every 5 min.
    note({}, "port mapping: no UPnP IGD answered an SSDP search in " + std::to_string(kDiscoveryTimeout.count()) +
                 " ms; trying again every " + std::to_string(kRetryAfterFailure.count()) + " min",
         said_no_igd_ ? spdlog::level::debug : spdlog::level::info);
    said_no_igd_ = true;
    return false;
  }
  auto igd = std::make_unique<Igd>();
  char lan[64] = {};
  const int found = UPNP_GetValidIGD(devices, &igd->urls, &igd->data, lan, sizeof lan);
  freeUPNPDevlist(devices);
  // 1: a connected IGD; 2: an IGD that says it is not connected (some report that
  // wrongly; GetExternalIPAddress decides); 3: a UPnP device that is no IGD.
  if (found != 1 && found != 2) {
    note({}, std::string("port mapping: UPnP devices answered but none is an Internet gateway; trying again in ") +
                 std::to_string(kRetryAfterFailure.count()) + " min");
    return false;
  }
  igd->lan_address = lan;
  igd_ = std::move(igd);
  return true;
}

bool UpnpPortMapper::map() {
  const bool renewing = held_.has_value();
  if (!igd_ && !discover()) return false;
  const std::string where = std::string("UPnP IGD ") + igd_->control();
  auto fail = [&](const std::string& why) {
    std::optional<std::optional<PortMappingOffer>> change;
    if (held_) change = std::optional<PortMappingOffer>{};  // lost
    note(change, "port mapping: " + where + " " + why + "; trying again in " +
                     std::to_string(kRetryAfterFailure.count()) + " min",
         spdlog::level::warn);
    held_.reset();
    igd_.reset();  // rediscovered next time: the gateway may have changed
    return false;
  };
  char external_ip[40] = {};
  int r = UPNP_GetExternalIPAddress(igd_->control(), igd_->service(), external_ip);
  auto external = Ipv4::parse(external_ip);
  if (r != UPNPCOMMAND_SUCCESS) return fail("refused GetExternalIPAddress: " + upnp_error(r));
  if (!external || external->value == 0) return fail(std::string("has no external address ('") + external_ip + "')");

  const std::string internal_port = std::to_string(internal_port_);
  std::string external_port = renewing ? std::to_string(held_->external.port) : internal_port;
  std::uint32_t lease = permanent_only_ ? 0 : lease_s_;
  auto add = [&] {
    return UPNP_AddPortMapping(igd_->control(), igd_->service(), external_port.c_str(), internal_port.c_str(),
                               igd_->lan_address.c_str(), kDescription, "UDP", nullptr,
                               std::to_string(lease).c_str());
  };
  r = add();
  if (r == kOnlyPermanentLeasesSupported && lease != 0) {
    permanent_only_ = true;
    lease = 0;
    note({}, "port mapping: " + where + " takes only permanent mappings (error 725); mapping without a lease, " +
                 "deleted when yellowtaild exits");
    r = add();
  }
  if (r == kConflictInMappingEntry && !renewing) {
    // Another host holds our port number outside: any free one will do.
    char reserved[8] = {};
    r = UPNP_AddAnyPortMapping(igd_->control(), igd_->service(), external_port.c_str(), internal_port.c_str(),
                               igd_->lan_address.c_str(), kDescription, "UDP", nullptr,
                               std::to_string(lease).c_str(), reserved);
    if (r == UPNPCOMMAND_SUCCESS) external_port = reserved;
  }
  if (r != UPNPCOMMAND_SUCCESS) {
    return fail("refused to map UDP " + external_port + " -> " + igd_->lan_address + ":" + internal_port + ": " +
                upnp_error(r));
  }
  const int port = std::atoi(external_port.c_str());
  if (port <= 0 || port > 65535) return fail("granted an unusable port '" + external_port + "'");
  const PortMappingOffer offer{PortMappingProtocol::kUpnp, Endpoint{*external, static_cast<std::uint16_t>(port)}, lease};
  const std::string lease_text = lease == 0 ? "permanent" : "lease " + std::to_string(lease) + " s";
  const bool moved = renewing && held_->external != offer.external;
  said_no_igd_ = false;
  note(std::optional<PortMappingOffer>{offer},
       std::string("port mapping: upnp ") + (renewing && !moved ? "renewed " : "obtained ") +
           offer.external.to_string() + " -> " + igd_->lan_address + ":" + internal_port + " (" + lease_text +
           ", " + where + ")");
  held_ = offer;
  return true;
}

void UpnpPortMapper::unmap() {
  if (held_ && igd_) {
    const std::string port = std::to_string(held_->external.port);
    const int r = UPNP_DeletePortMapping(igd_->control(), igd_->service(), port.c_str(), "UDP", nullptr);
    if (r == UPNPCOMMAND_SUCCESS) {
      note(std::optional<PortMappingOffer>{}, "port mapping: upnp deleted " + held_->external.to_string());
    } else {
      note(std::optional<PortMappingOffer>{},
           "port mapping: upnp could not delete " + held_->external.to_string() + ": " + upnp_error(r) +
               (held_->lifetime_s ? " (its lease ends it)" : ""),
           spdlog::level::warn);
    }
  } else if (held_) {
    note(std::optional<PortMappingOffer>{}, "port mapping: upnp mapping dropped");
  }
  held_.reset();
  igd_.reset();
}

void UpnpPortMapper::note(std::optional<std::optional<PortMappingOffer>> change, std::string text,
                          spdlog::level::level_enum level) {
  {
    std::lock_guard<std::mutex> lock(notes_mutex_);
    notes_.push_back(Note{change, std::move(text), level});
  }
  boost::asio::post(io_, [this, alive = alive_] {
    if (!*alive) return;
    for (Note& n : take_notes()) {
      log(n);
      if (n.change) on_change_(*n.change);
    }
  });
}

std::vector<UpnpPortMapper::Note> UpnpPortMapper::take_notes() {
  std::lock_guard<std::mutex> lock(notes_mutex_);
  std::vector<Note> out;
  out.swap(notes_);
  return out;
}

void UpnpPortMapper::log(const Note& note) { spdlog::log(note.level, "{}", note.log); }

}  // namespace yt
