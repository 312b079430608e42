// Guest OS personalities: the path a doorbell takes from the MSI-X
// interrupt to the program waiting for it, as each guest's driver has it,
// every step priced from the timing profile and charged to its own
// breakdown component (driver, wakeup, syscall, timer):
//   bare       the program halts and runs when its interrupt is taken
//   zephyr     the ivshmem ISR raises a k_poll_signal; the thread blocked in
//              k_poll is switched in (zephyr_isr, zephyr_k_poll_wakeup)
//   linux-uio  acrn-kernel's uio_pci_generic handler signals the eventfd
//              bound to the vector; the thread in epoll_wait wakes, is
//              scheduled and reads the eventfd (uio_irq_eventfd,
//              linux_epoll_wakeup, 2 x linux_syscall); or, as ACRN's ivshmem
//              sample application ships, a timerfd period checks the region
//              (uio_timerfd_period, no interrupt at all)
//   windows    the ivshmem driver's ISR and DPC signal the registered event
//              (KeSetEvent); the thread in WaitForSingleObject is readied
//              (windows_isr_dpc, windows_event_wakeup, windows_syscall); the
//              doorbell itself is an IOCTL_IVSHMEM_RING_DOORBELL (windows_syscall)
#pragma once

#include <string>
#include <vector>

#include "workloads/guest_api.h"
#include "workloads/ivshmem_driver.h"

namespace ivsim {

enum class GuestOsKind : u8 { bare, zephyr, linux_uio, windows };

GuestOsKind guest_os_kind(const std::string& name);  // "bare", "zephyr", "linux-uio", "windows"
const char* guest_os_name(GuestOsKind k);
const std::vector<std::string>& guest_os_names();

// How a program learns its peer wrote: spin on the flag, the doorbell's
// interrupt through the OS's driver path, or (linux-uio) a polling timer.
enum class NotifyMode : u8 { poll, doorbell, timer };
NotifyMode notify_mode(const std::string& name);  // "poll", "doorbell", "timer"

// One program's notification endpoint on its IVSHMEM device.
class GuestOs {
 public:
  // Arms the receive path: in doorbell mode registers the handler of MSI-X
  // entry `vector` on this CPU (ivshmem_register_handler); in timer mode
  // starts the period now. Throws when doorbell mode meets a device without
  // MSI-X (dm-land).
  GuestOs(Guest& g, GuestOsKind kind, const IvshmemGuestDevice& dev, NotifyMode mode, u16 vector = 0);
  ~GuestOs();
  GuestOs(const GuestOs&) = delete;
  GuestOs& operator=(const GuestOs&) = delete;

  // Tells `peer` (its VM ID) that something was written: the OS's way of
  // ringing (Windows: an IOCTL; the others: the Doorbell register mapped
  // into the program), nothing in poll and timer modes.
  void notify(u32 peer);
  // Blocks until the u64 at `flag` satisfies cmp(value): spinning, or
  // sleeping until the OS's path wakes the program, which pays each step.
  u64 wait(Gpa flag, Cmp cmp, u64 value);
  u64 wait(Gpa flag, u64 value) { return wait(flag, Cmp::eq, value); }

  // When the last wait() stopped waiting (its blocking step ended, or it
  // began, if it did not block): a one-way latency's receive side starts
  // there (workloads/one_way.h).
  const Timestamp& woke() const { return woke_; }
  // What the OS's steps of the last wait() charged before woke(): the
  // driver's handler in the ISR, the wait for a polling timer's expiry.
  const Breakdown& isr_steps() const { return isr_steps_; }
  // A message found without waiting: its receive side starts now.
  void mark() {
    woke_ = g_.timestamp();
    isr_steps_ = Breakdown{};
  }
  NotifyMode mode() const { return mode_; }
  GuestOsKind kind() const { return kind_; }
  u64 interrupts() const { return signal_.raised; }

 private:
  void charge(Component c, TimePs ps);
  void after_wakeup();

  Guest& g_;
  GuestOsKind kind_;
  IvshmemGuestDevice dev_;
  NotifyMode mode_;
  u16 vector_;
  KPollSignal signal_;
  TimePs timer_start_ps_ = 0;
  Timestamp woke_;
  Breakdown isr_steps_;
};

}  // namespace ivsim
