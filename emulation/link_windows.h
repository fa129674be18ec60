// The core router's links, run in windows of simulated time, so that a run can be
// split over two processes (split_run.h) and give what one process gives.
//
// Every packet between two households crosses the core router. Split in two, each
// process runs its own half of the households and a replica of the core, which
// keeps no state of its own but the queues of its links. A link from the core to
// a household belongs to the process that runs the household; to the server, the
// relays and their nodes, to the first process. A packet the core sends is not
// put on the wire at once: its device hands it here ("entered"), and at the end
// of the window the links' owners transmit what was entered, by both replicas, in
// one order: by link, then by time entered, then by the core link it arrived on
// and its rank among what arrived there. So a queue sees the same packets in the
// same order whichever process entered them, and one process and two give the
// same run.
//
// Windows are numbered. A packet entered in window k arrives at least the
// shortest delay of these links (the lookahead) after window k began. With
// windows of half the lookahead, the owner may transmit window k's packets as
// late as the end of window k+1: each process can run a window ahead of the
// other's news, and waits only when the other falls further behind.
#pragma once

#include <ns3/nstime.h>
#include <ns3/packet.h>

#include <cstdint>
#include <string>
#include <vector>

namespace yt::emulation {

class OnePassPointToPointDevice;

class LinkWindows {
 public:
  static constexpr uint32_t kNoOrigin = 0xffffffff;

  // While one lives, what the core sends came in on link `index` (a packet it
  // forwards, or the ICMP error it answers with). No-op without `windows`.
  class Origin {
   public:
    Origin(LinkWindows* windows, uint32_t index);
    ~Origin();
    Origin(const Origin&) = delete;
    Origin& operator=(const Origin&) = delete;

   private:
    LinkWindows* windows_;
    uint32_t previous_ = kNoOrigin;
  };

  // `device` (the core's side of a link) defers its packets here from now on; the
  // link belongs to partition `owner`. Returns the link's index.
  uint32_t Add(OnePassPointToPointDevice* device, int owner);
  std::size_t links() const { return devices_.size(); }
  // The shortest delay of the links: the longest window allowed.
  ns3::Time Lookahead() const;

  // A deferred device's packet (no PPP header yet), sent now, in the current window.
  void Enter(uint32_t link, ns3::Ptr<ns3::Packet> packet, uint16_t ppp_protocol, bool dropped_on_arrival);
  // Packets entered from now on are in the next window.
  void NextWindow() { ++window_; }
  uint32_t window() const { return window_; }

  // In partition `me`: the packets entered on links the other partition owns,
  // as bytes (taken: they are gone from here).
  std::string TakeOthers(int me);
  // TakeOthers' bytes from the other partition, for links `me` owns. False when
  // they are malformed or name a link `me` does not own (nothing is kept then).
  bool Receive(int me, const std::string& from_other);
  // Transmits every packet of windows up to `window` on links `me` owns (entered
  // here or received), in the order above; keeps the rest.
  void TransmitThrough(int me, uint32_t window);

 private:
  struct Entry {
    int64_t sent = 0;  // ns
    uint32_t window = 0;
    uint32_t origin = kNoOrigin, rank = 0, link = 0;
    uint16_t ppp_protocol = 0;
    bool dropped_on_arrival = false;
    ns3::Ptr<ns3::Packet> packet;
  };

  std::vector<OnePassPointToPointDevice*> devices_;
  std::vector<int> owner_;
  std::vector<uint32_t> next_rank_;  // by origin link; the last slot for kNoOrigin
  uint32_t origin_ = kNoOrigin;
  uint32_t window_ = 0;
  std::vector<Entry> entries_;
};

}  // namespace yt::emulation
