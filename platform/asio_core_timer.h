// The one timer of an Asio-driven core (protocol/driver_loop.h's re-arm step):
// cancel the old expiry, and unless the core has no deadline, call on_timer at it
// and pump. Shared by the client and server drivers.
#pragma once

#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <optional>

#include "platform/asio_conversions.h"
#include "protocol/time.h"

namespace yt {

// `core`, `clock` and the driver behind `pump` must outlive the wait unless `*alive`
// turns false first (the drivers' destruction guard).
template <typename Core>
void arm_core_timer(boost::asio::steady_timer& timer, std::optional<Time> deadline, const std::unique_ptr<Core>& core,
                    const DriverClock& clock, std::shared_ptr<bool> alive, std::function<void()> pump) {
  timer.cancel();
  if (!deadline) return;
  timer.expires_at(clock.to_steady(*deadline));
  timer.async_wait([&core, &clock, alive = std::move(alive), pump = std::move(pump)](
                       const boost::system::error_code& error) {
    if (!*alive || error == boost::asio::error::operation_aborted) return;
    core->on_timer(clock.now());
    pump();
  });
}

}  // namespace yt
