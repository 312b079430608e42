#include "sim/scenario_noise.h"

namespace ivsim {

namespace {

const std::vector<std::string> kNoiseKeys = {"guest_ticks", "hv_ticks",   "service_vm", "dram_refresh",
                                             "row_buffer",  "contention", "poll_phase", "hv_console"};
const std::vector<std::string> kServiceVmKeys = {"period_us", "lines_per_wake", "working_set_kib"};

bool read_switch(FieldReader& r, const Node& n, const std::string& path) {
  const std::string v = r.read_choice(n, path, {"on", "off", "true", "false"});
  return v == "on" || v == "true";
}

}  // namespace

NoiseConfig read_noise(FieldReader& r, const Node* n) {
  NoiseConfig c;  // all on
  if (!n || n->kind == Node::Kind::null) return c;
  if (n->kind == Node::Kind::scalar) return read_switch(r, *n, "noise") ? c : NoiseConfig::off();
  if (n->kind != Node::Kind::mapping)
    r.fail(n->loc, "noise",
           "expected on, off or a mapping of sources (" + std::string("guest_ticks, hv_ticks, ...") + "), got " +
               describe(*n));
  r.check_keys(*n, "noise", kNoiseKeys);
  auto flag = [&](const char* key, bool& out) {
    if (const Node* x = r.optional(*n, key)) out = read_switch(r, *x, std::string("noise.") + key);
  };
  flag("guest_ticks", c.guest_ticks);
  flag("hv_ticks", c.hv_ticks);
  flag("dram_refresh", c.dram_refresh);
  flag("row_buffer", c.row_buffer);
  flag("contention", c.contention);
  flag("poll_phase", c.poll_phase);
  flag("hv_console", c.hv_console);
  if (const Node* s = r.optional(*n, "service_vm")) {
    if (s->kind == Node::Kind::mapping) {
      r.check_keys(*s, "noise.service_vm", kServiceVmKeys);
      if (const Node* x = r.optional(*s, "period_us"))
        c.service_vm_period_us = static_cast<u64>(r.read_int(*x, "noise.service_vm.period_us", 1, 10'000'000, "µs"));
      if (const Node* x = r.optional(*s, "lines_per_wake"))
        c.service_vm_lines_per_wake =
            static_cast<u64>(r.read_int(*x, "noise.service_vm.lines_per_wake", 1, 1 << 24, "cache lines"));
      if (const Node* x = r.optional(*s, "working_set_kib"))
        c.service_vm_working_set_kib =
            static_cast<u64>(r.read_int(*x, "noise.service_vm.working_set_kib", 1, 1 << 24, "KiB"));
    } else {
      c.service_vm = read_switch(r, *s, "noise.service_vm");
    }
  }
  return c;
}

}  // namespace ivsim
