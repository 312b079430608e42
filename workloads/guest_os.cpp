#include "workloads/guest_os.h"

#include <stdexcept>

namespace ivsim {

const std::vector<std::string>& guest_os_names() {
  static const std::vector<std::string> names = {"bare", "zephyr", "linux-uio", "windows"};
  return names;
}

GuestOsKind guest_os_kind(const std::string& name) {
  if (name == "zephyr") return GuestOsKind::zephyr;
  if (name == "linux-uio") return GuestOsKind::linux_uio;
  if (name == "windows") return GuestOsKind::windows;
  return GuestOsKind::bare;
}

const char* guest_os_name(GuestOsKind k) { return guest_os_names()[static_cast<unsigned>(k)].c_str(); }

NotifyMode notify_mode(const std::string& name) {
  if (name == "doorbell") return NotifyMode::doorbell;
  if (name == "timer") return NotifyMode::timer;
  return NotifyMode::poll;
}

GuestOs::GuestOs(Guest& g, GuestOsKind kind, const IvshmemGuestDevice& dev, NotifyMode mode, u16 vector)
    : g_(g), kind_(kind), dev_(dev), mode_(mode), vector_(vector) {
  if (mode_ == NotifyMode::timer) {
    timer_start_ps_ = g_.timestamp().time_ps;
    return;
  }
  if (mode_ != NotifyMode::doorbell) return;
  // The driver's handler: what runs in the ISR besides raising the signal.
  std::function<void(Guest&)> isr;
  const TimingParams& t = g_.timing();
  switch (kind_) {
    case GuestOsKind::bare:
      break;
    case GuestOsKind::zephyr:
      isr = [this, ps = t.zephyr_isr_ps](Guest&) { charge(Component::driver, ps); };
      break;
    case GuestOsKind::linux_uio:
      isr = [this, ps = t.uio_irq_eventfd_ps](Guest&) { charge(Component::driver, ps); };
      break;
    case GuestOsKind::windows:
      isr = [this, ps = t.windows_isr_dpc_ps](Guest&) { charge(Component::driver, ps); };
      break;
  }
  const int rc = ivshmem_register_handler(g_, dev_, &signal_, vector_, std::move(isr));
  if (rc == -kENOSYS)
    throw std::runtime_error("doorbell mode needs MSI-X, which the device at " + dev_.bdf.to_string() +
                             " does not have (a Device Model region): ivshmem_register_handler returned -ENOSYS");
  if (rc != 0) throw std::runtime_error("ivshmem_register_handler returned " + std::to_string(rc));
}

GuestOs::~GuestOs() {
  if (mode_ == NotifyMode::doorbell) ivshmem_register_handler(g_, dev_, nullptr, vector_);
}

void GuestOs::charge(Component c, TimePs ps) {
  g_.kernel_work(c, ps);
  isr_steps_.add(c, ps);
}

void GuestOs::notify(u32 peer) {
  if (mode_ != NotifyMode::doorbell) return;
  // Windows rings through the driver: DeviceIoControl(IOCTL_IVSHMEM_RING_DOORBELL).
  if (kind_ == GuestOsKind::windows) g_.kernel_work(Component::syscall, g_.timing().windows_syscall_ps);
  const int rc = ivshmem_int_peer(g_, dev_, peer, vector_);
  if (rc != 0) throw std::runtime_error("ivshmem_int_peer returned " + std::to_string(rc));
}

void GuestOs::after_wakeup() {
  const TimingParams& t = g_.timing();
  switch (kind_) {
    case GuestOsKind::bare:
      break;
    case GuestOsKind::zephyr:
      g_.kernel_work(Component::wakeup, t.zephyr_k_poll_wakeup_ps);
      break;
    case GuestOsKind::linux_uio:
      // epoll_wait returns, then read() clears the eventfd's counter.
      g_.kernel_work(Component::wakeup, t.linux_epoll_wakeup_ps);
      g_.kernel_work(Component::syscall, 2 * t.linux_syscall_ps);
      break;
    case GuestOsKind::windows:
      g_.kernel_work(Component::wakeup, t.windows_event_wakeup_ps);
      g_.kernel_work(Component::syscall, t.windows_syscall_ps);
      break;
  }
}

u64 GuestOs::wait(Gpa flag, Cmp cmp, u64 value) {
  isr_steps_ = Breakdown{};
  woke_ = g_.timestamp();
  switch (mode_) {
    case NotifyMode::poll: {
      const u64 v = g_.wait_until(flag, 8, cmp, value);
      woke_ = g_.timestamp();
      return v;
    }
    case NotifyMode::timer: {
      // The region is checked at each expiry of the timerfd: the change is
      // seen at the first expiry after it (the event-driven wait finds when
      // it happened; the time to the next expiry is charged as waiting).
      g_.wait_until(flag, 8, cmp, value);
      const TimingParams& t = g_.timing();
      const TimePs period = t.uio_timerfd_period_ps;
      const TimePs now = g_.timestamp().time_ps;
      const TimePs since = now - timer_start_ps_;
      const TimePs next = period ? (since + period - 1) / period * period : since;
      charge(Component::timer, next - since);
      woke_ = g_.timestamp();
      // The LAPIC timer's interrupt wakes the halted vCPU, hrtimer expires
      // the timerfd, the thread in read(timerfd) is scheduled and returns.
      g_.kernel_work(Component::irq, t.timer_emulation_ps + g_.idle_wakeup_ps() + t.isr_entry_ps);
      g_.kernel_work(Component::wakeup, t.linux_epoll_wakeup_ps);
      g_.kernel_work(Component::syscall, t.linux_syscall_ps);
      return g_.load<u64>(flag);
    }
    case NotifyMode::doorbell:
      break;
  }
  for (;;) {
    const u64 v = g_.load<u64>(flag);
    if (compare(v, cmp, value)) return v;
    if (signal_.signaled) {  // raised while the program was not waiting: k_poll returns at once
      signal_.reset();
      continue;
    }
    isr_steps_ = Breakdown{};
    g_.halt();  // the thread blocks; the idle task halts until an interrupt
    woke_ = g_.timestamp();
    if (signal_.signaled) {
      signal_.reset();
      after_wakeup();
    }
  }
}

}  // namespace ivsim
