// The driver loop of protocol/io_boundary.h, written once for every core and driver:
// drain the core's outputs, perform each in order, then hand its next deadline to the
// driver's one timer. A driver (Asio, ns-3, the test network) supplies only how to
// perform each output type and how to arm its timer.
#pragma once

#include <utility>
#include <variant>

namespace yt {

// A visitor made of lambdas, one per output type:
//   Overloaded{[&](SendDatagram& d) {...}, [&](SendStream& s) {...}, ...}
template <typename... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <typename... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

// One per core: the guard below says whether *that* core is being drained.
class DriverLoop {
 public:
  // Calls core.drain_outputs() until it returns nothing, and std::visit(perform, output)
  // for each output in order (perform needs an overload for every alternative of
  // Core::Output; it gets the output as a mutable lvalue, so it may move from it).
  // Then calls rearm(core.next_deadline()) once; a nullopt deadline is passed on, so
  // the driver cancels its timer.
  //
  // Performing an output may feed `core` an input and pump again (an ns-3 connect
  // refused synchronously, an event handler issuing a command). That inner pump()
  // returns at once without rearming: the running loop drains what the input
  // produced and rearms once, with the final deadline. `core` must outlive the call.
  template <typename Core, typename Perform, typename Rearm>
  void pump(Core& core, Perform&& perform, Rearm&& rearm) {
    if (pumping_) return;
    {
      Running running(pumping_);
      for (auto outputs = core.drain_outputs(); !outputs.empty(); outputs = core.drain_outputs()) {
        for (auto& output : outputs) std::visit(perform, output);
      }
    }
    // The guard is down first, so that an input fed while arming gets a pump of its own.
    std::forward<Rearm>(rearm)(core.next_deadline());
  }

  bool pumping() const { return pumping_; }

 private:
  // Lowers the guard even if a handler throws, so the core is not left undrained for good.
  class Running {
   public:
    explicit Running(bool& flag) : flag_(flag) { flag_ = true; }
    ~Running() { flag_ = false; }
    Running(const Running&) = delete;
    Running& operator=(const Running&) = delete;

   private:
    bool& flag_;
  };

  bool pumping_ = false;
};

}  // namespace yt
