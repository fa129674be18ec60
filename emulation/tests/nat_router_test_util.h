// Small ns-3 traffic endpoints for the NAT router and topology tests: a UDP socket
// that records (and optionally echoes) what it receives, including ICMP errors, and
// a TCP sink and sender. Each object must outlive Simulator::Run(); destroy them
// after Simulator::Destroy().
#pragma once

#include <ns3/callback.h>
#include <ns3/core-module.h>
#include <ns3/inet-socket-address.h>
#include <ns3/socket.h>
#include <ns3/tcp-socket-factory.h>
#include <ns3/udp-socket-factory.h>

#include <cstdint>
#include <string>
#include <vector>

#include "emulation/ns3_conversions.h"
#include "nat-models/nat_config.h"
#include "nat-models/nat_profiles.h"
#include "protocol/endpoint.h"

namespace yt::emulation::testing {

class UdpPeer {
 public:
  struct Datagram {
    Endpoint from;
    std::string text;
    ns3::Time at;
  };
  struct IcmpError {
    Ipv4 from;
    int type = 0;
    int code = 0;
  };

  // Binds `port` on every address (or on `bind_ip` when set). With `echo`, every
  // datagram is answered with "echo:" + its text.
  UdpPeer(ns3::Ptr<ns3::Node> node, std::uint16_t port, bool echo = false, Ipv4 bind_ip = Ipv4{})
      : echo_(echo) {
    socket_ = ns3::Socket::CreateSocket(node, ns3::UdpSocketFactory::GetTypeId());
    socket_->Bind(ns3::InetSocketAddress(bind_ip.value ? to_ns3(bind_ip) : ns3::Ipv4Address::GetAny(), port));
    socket_->SetRecvCallback(ns3::MakeCallback(&UdpPeer::OnReceive, this));
    socket_->SetAttribute("IcmpCallback", ns3::CallbackValue(ns3::MakeCallback(&UdpPeer::OnIcmp, this)));
  }

  void SendTo(Endpoint to, const std::string& text) {
    socket_->SendTo(ns3::Create<ns3::Packet>(reinterpret_cast<const std::uint8_t*>(text.data()),
                                             static_cast<std::uint32_t>(text.size())),
                    0, to_ns3(to));
  }
  // Sends at simulated time `seconds` (scheduled from time 0).
  void SendAt(double seconds, Endpoint to, const std::string& text) {
    ns3::Simulator::Schedule(ns3::Seconds(seconds), [this, to, text] { SendTo(to, text); });
  }

  // The first datagram with this text, or null.
  const Datagram* Find(const std::string& text) const {
    for (const Datagram& d : received) {
      if (d.text == text) return &d;
    }
    return nullptr;
  }

  std::vector<Datagram> received;
  std::vector<IcmpError> icmp;

 private:
  void OnReceive(ns3::Ptr<ns3::Socket> socket) {
    ns3::Address from;
    while (ns3::Ptr<ns3::Packet> packet = socket->RecvFrom(from)) {
      std::string text(packet->GetSize(), '\0');
      packet->CopyData(reinterpret_cast<std::uint8_t*>(text.data()), packet->GetSize());
      const Endpoint sender = from_ns3(ns3::InetSocketAddress::ConvertFrom(from));
      received.push_back(Datagram{sender, text, ns3::Simulator::Now()});
      if (echo_) SendTo(sender, "echo:" + text);
    }
  }
  void OnIcmp(ns3::Ipv4Address from, std::uint8_t, std::uint8_t type, std::uint8_t code, std::uint32_t) {
    icmp.push_back(IcmpError{from_ns3(from), type, code});
  }

  bool echo_;
  ns3::Ptr<ns3::Socket> socket_;
};

class TcpSink {
 public:
  TcpSink(ns3::Ptr<ns3::Node> node, std::uint16_t port) {
    listener_ = ns3::Socket::CreateSocket(node, ns3::TcpSocketFactory::GetTypeId());
    listener_->Bind(ns3::InetSocketAddress(ns3::Ipv4Address::GetAny(), port));
    listener_->Listen();
    listener_->SetAcceptCallback(ns3::MakeNullCallback<bool, ns3::Ptr<ns3::Socket>, const ns3::Address&>(),
                                 ns3::MakeCallback(&TcpSink::OnAccept, this));
  }

  std::uint64_t bytes = 0;
  std::vector<Endpoint> peers;  // as the sink saw them, one per accepted connection

 private:
  void OnAccept(ns3::Ptr<ns3::Socket> socket, const ns3::Address& from) {
    peers.push_back(from_ns3(ns3::InetSocketAddress::ConvertFrom(from)));
    socket->SetRecvCallback(ns3::MakeCallback(&TcpSink::OnReceive, this));
    accepted_.push_back(socket);
  }
  void OnReceive(ns3::Ptr<ns3::Socket> socket) {
    while (ns3::Ptr<ns3::Packet> packet = socket->Recv()) bytes += packet->GetSize();
  }

  ns3::Ptr<ns3::Socket> listener_;
  std::vector<ns3::Ptr<ns3::Socket>> accepted_;
};

// Connects to `to` at `seconds`, sends `bytes` and closes.
class TcpSender {
 public:
  TcpSender(ns3::Ptr<ns3::Node> node, Endpoint to, std::uint32_t bytes, double seconds) : bytes_(bytes) {
    socket_ = ns3::Socket::CreateSocket(node, ns3::TcpSocketFactory::GetTypeId());
    socket_->SetConnectCallback(ns3::MakeCallback(&TcpSender::OnConnected, this),
                                ns3::MakeCallback(&TcpSender::OnFailed, this));
    ns3::Simulator::Schedule(ns3::Seconds(seconds), [this, to] {
      socket_->Bind();
      socket_->Connect(to_ns3(to));
    });
  }

  bool connected = false;
  bool failed = false;

 private:
  void OnConnected(ns3::Ptr<ns3::Socket> socket) {
    connected = true;
    socket->Send(ns3::Create<ns3::Packet>(bytes_));
    socket->Close();
  }
  void OnFailed(ns3::Ptr<ns3::Socket>) { failed = true; }

  std::uint32_t bytes_;
  ns3::Ptr<ns3::Socket> socket_;
};

// Every profile name: single devices, then the stacked ones.
inline std::vector<std::string> all_profile_names() {
  std::vector<std::string> names = nat::profile_names();
  for (const std::string& name : nat::stacked_profile_names()) names.push_back(name);
  return names;
}

// gtest parameter names may not contain '-'.
inline std::string test_name(std::string name) {
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}

}  // namespace yt::emulation::testing
