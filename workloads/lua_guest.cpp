#include "workloads/lua_guest.h"

#include <lua5.4/lua.hpp>

#include <cstdio>
#include <exception>
#include <map>
#include <memory>
#include <stdexcept>
#include <vector>

#include "models/core/metrics.h"
#include "workloads/guest_api.h"
#include "workloads/guest_os.h"
#include "workloads/ivshmem_driver.h"
#include "workloads/pci_config.h"

namespace ivsim {

namespace {

// What one vCPU's script works with.
struct LuaGuest {
  Guest& g;
  const WorkloadContext& ctx;
  lua_State* L = nullptr;
  std::vector<IvshmemGuestDevice> devices;            // handles 1..n
  std::vector<std::unique_ptr<KPollSignal>> signals;  // handles 1..n
  std::map<lua_Integer, Timestamp> stamps;
  lua_Integer next_stamp = 1;
  // What unwinds the guest program itself (a zombie vCPU): carried through
  // Lua as an error, thrown again once Lua has unwound.
  std::exception_ptr unwinding;
};

using Fn = int (*)(lua_State*, LuaGuest&);

struct Entry {
  const char* name;
  const char* signature;
  const char* doc;
  Fn fn;
};

lua_Integer arg_int(lua_State* L, int i) { return luaL_checkinteger(L, i); }
u64 arg_u64(lua_State* L, int i) { return static_cast<u64>(luaL_checkinteger(L, i)); }
int push_u64(lua_State* L, u64 v) {
  lua_pushinteger(L, static_cast<lua_Integer>(v));
  return 1;
}

pci::Bdf arg_bdf(lua_State* L, int i) {
  const char* text = luaL_checkstring(L, i);
  const auto bdf = pci::Bdf::parse(text);
  if (!bdf) luaL_error(L, "bad BDF \"%s\" (expected BB:DD.F, as 00:08.0)", text);
  return *bdf;
}

const IvshmemGuestDevice& arg_device(lua_State* L, LuaGuest& G, int i) {
  const lua_Integer h = luaL_checkinteger(L, i);
  if (h < 1 || h > static_cast<lua_Integer>(G.devices.size()))
    luaL_error(L, "not an IVSHMEM device handle: %d", static_cast<int>(h));
  return G.devices[static_cast<std::size_t>(h - 1)];
}

KPollSignal& arg_signal(lua_State* L, LuaGuest& G, int i) {
  const lua_Integer h = luaL_checkinteger(L, i);
  if (h < 1 || h > static_cast<lua_Integer>(G.signals.size()))
    luaL_error(L, "not a k_poll_signal handle: %d", static_cast<int>(h));
  return *G.signals[static_cast<std::size_t>(h - 1)];
}

Cmp arg_cmp(lua_State* L, int i) {
  const std::string c = luaL_checkstring(L, i);
  if (c == "eq") return Cmp::eq;
  if (c == "ne") return Cmp::ne;
  if (c == "ge") return Cmp::ge;
  if (c == "lt") return Cmp::lt;
  luaL_error(L, "bad comparison \"%s\" (expected eq, ne, ge or lt)", c.c_str());
  return Cmp::eq;
}

unsigned arg_size(lua_State* L, int i) {
  const lua_Integer s = luaL_optinteger(L, i, 8);
  if (s != 4 && s != 8) luaL_error(L, "size must be 4 or 8, got %d", static_cast<int>(s));
  return static_cast<unsigned>(s);
}

int push_device(lua_State* L, LuaGuest& G, const std::optional<IvshmemGuestDevice>& d) {
  if (!d) {
    lua_pushnil(L);
    return 1;
  }
  G.devices.push_back(*d);
  lua_pushinteger(L, static_cast<lua_Integer>(G.devices.size()));
  return 1;
}

// Runs a Lua function stored in the registry from an ISR; an error in it
// stops the program as an error anywhere else in the script does.
void call_handler(LuaGuest& G, int ref, lua_Integer vector) {
  lua_rawgeti(G.L, LUA_REGISTRYINDEX, ref);
  lua_pushinteger(G.L, vector);
  if (lua_pcall(G.L, 1, 0, 0) != LUA_OK) {
    std::string msg = lua_tostring(G.L, -1) ? lua_tostring(G.L, -1) : "error in an interrupt handler";
    lua_pop(G.L, 1);
    throw std::runtime_error(msg);
  }
}

// THE table: every function a script sees, its signature and what it does.
const Entry
    kApi
        [] =
            {
                // Memory: guest-virtual (= guest-physical, identity-mapped) addresses.
                {"load8", "load8(addr) -> value", "reads 1 byte",
                 [](lua_State* L, LuaGuest& G) { return push_u64(L, G.g.load<u8>(arg_u64(L, 1))); }},
                {"load16", "load16(addr) -> value", "reads 2 bytes",
                 [](lua_State* L, LuaGuest& G) { return push_u64(L, G.g.load<u16>(arg_u64(L, 1))); }},
                {"load32", "load32(addr) -> value",
                 "reads 4 bytes (an MMIO register read traps as the device's BAR says)",
                 [](lua_State* L, LuaGuest& G) { return push_u64(L, G.g.load<u32>(arg_u64(L, 1))); }},
                {"load64", "load64(addr) -> value", "reads 8 bytes",
                 [](lua_State* L, LuaGuest& G) { return push_u64(L, G.g.load<u64>(arg_u64(L, 1))); }},
                {"store8", "store8(addr, value)", "writes 1 byte",
                 [](lua_State* L, LuaGuest& G) {
                   G.g.store<u8>(arg_u64(L, 1), static_cast<u8>(arg_u64(L, 2)));
                   return 0;
                 }},
                {"store16", "store16(addr, value)", "writes 2 bytes",
                 [](lua_State* L, LuaGuest& G) {
                   G.g.store<u16>(arg_u64(L, 1), static_cast<u16>(arg_u64(L, 2)));
                   return 0;
                 }},
                {"store32", "store32(addr, value)", "writes 4 bytes (an MMIO register write traps)",
                 [](lua_State* L, LuaGuest& G) {
                   G.g.store<u32>(arg_u64(L, 1), static_cast<u32>(arg_u64(L, 2)));
                   return 0;
                 }},
                {"store64", "store64(addr, value)", "writes 8 bytes",
                 [](lua_State* L, LuaGuest& G) {
                   G.g.store<u64>(arg_u64(L, 1), arg_u64(L, 2));
                   return 0;
                 }},
                {"read", "read(addr, len) -> string", "copies len bytes out (a block read, its misses overlapped)",
                 [](lua_State* L, LuaGuest& G) {
                   const lua_Integer len = arg_int(L, 2);
                   if (len < 0 || len > (1 << 26)) return luaL_error(L, "read length must be 0 to 64 MiB");
                   std::string buf(static_cast<std::size_t>(len), '\0');
                   G.g.read(arg_u64(L, 1), buf.data(), buf.size());
                   lua_pushlstring(L, buf.data(), buf.size());
                   return 1;
                 }},
                {"write", "write(addr, bytes)", "copies a string's bytes in (a block write)",
                 [](lua_State* L, LuaGuest& G) {
                   std::size_t len = 0;
                   const char* s = luaL_checklstring(L, 2, &len);
                   G.g.write(arg_u64(L, 1), s, len);
                   return 0;
                 }},
                {"cmpxchg", "cmpxchg(addr, expected, desired [, size]) -> old",
                 "LOCK CMPXCHG on 4 or 8 (default) bytes",
                 [](lua_State* L, LuaGuest& G) {
                   const unsigned size = arg_size(L, 4);
                   const u64 a = arg_u64(L, 1), e = arg_u64(L, 2), d = arg_u64(L, 3);
                   return push_u64(L, size == 4 ? G.g.cmpxchg32(a, static_cast<u32>(e), static_cast<u32>(d))
                                                : G.g.cmpxchg64(a, e, d));
                 }},
                {"wait_until", "wait_until(addr, cmp, value [, size]) -> value",
                 "spins on addr until its value compares (\"eq\", \"ne\", \"ge\", \"lt\") with value; costs nothing to "
                 "simulate",
                 [](lua_State* L, LuaGuest& G) {
                   const Cmp c = arg_cmp(L, 2);
                   return push_u64(L, G.g.wait_until(arg_u64(L, 1), arg_size(L, 4), c, arg_u64(L, 3)));
                 }},
                {"compute", "compute(cycles)", "spends cycles of this core's clock computing",
                 [](lua_State* L, LuaGuest& G) {
                   const lua_Integer c = arg_int(L, 1);
                   if (c < 0)
                     return luaL_error(L, "compute needs a non-negative number of cycles, got %d", static_cast<int>(c));
                   G.g.compute(static_cast<u64>(c));
                   return 0;
                 }},
                // Interrupts.
                {"halt", "halt() -> vector", "HLT until an interrupt; runs its handler; returns the vector taken",
                 [](lua_State* L, LuaGuest& G) { return push_u64(L, G.g.halt()); }},
                {"on_interrupt", "on_interrupt(vector, function(vector))",
                 "runs the function whenever vector (32-255) is taken",
                 [](lua_State* L, LuaGuest& G) {
                   const lua_Integer v = arg_int(L, 1);
                   if (v < 32 || v > 255) return luaL_error(L, "vector must be 32 to 255, got %d", static_cast<int>(v));
                   luaL_checktype(L, 2, LUA_TFUNCTION);
                   lua_pushvalue(L, 2);
                   const int ref = luaL_ref(L, LUA_REGISTRYINDEX);
                   LuaGuest* P = &G;
                   G.g.on_interrupt(static_cast<u8>(v), [P, ref, v](Guest&) { call_handler(*P, ref, v); });
                   return 0;
                 }},
                // Port I/O and PCI configuration space (mechanism #1, 0xCF8/0xCFC).
                {"inb", "inb(port) -> value", "IN of 1 byte",
                 [](lua_State* L, LuaGuest& G) { return push_u64(L, G.g.inb(static_cast<u16>(arg_u64(L, 1)))); }},
                {"inl", "inl(port) -> value", "IN of 4 bytes",
                 [](lua_State* L, LuaGuest& G) { return push_u64(L, G.g.inl(static_cast<u16>(arg_u64(L, 1)))); }},
                {"outb", "outb(port, value)", "OUT of 1 byte",
                 [](lua_State* L, LuaGuest& G) {
                   G.g.outb(static_cast<u16>(arg_u64(L, 1)), static_cast<u8>(arg_u64(L, 2)));
                   return 0;
                 }},
                {"outl", "outl(port, value)", "OUT of 4 bytes",
                 [](lua_State* L, LuaGuest& G) {
                   G.g.outl(static_cast<u16>(arg_u64(L, 1)), static_cast<u32>(arg_u64(L, 2)));
                   return 0;
                 }},
                {"pci_read32", "pci_read32(bdf, offset) -> value", "config-space read of a function (\"00:08.0\")",
                 [](lua_State* L, LuaGuest& G) {
                   return push_u64(L, pci_cfg_read32(G.g, arg_bdf(L, 1), static_cast<u32>(arg_u64(L, 2))));
                 }},
                {"pci_read16", "pci_read16(bdf, offset) -> value", "config-space read of 2 bytes",
                 [](lua_State* L, LuaGuest& G) {
                   return push_u64(L, pci_cfg_read16(G.g, arg_bdf(L, 1), static_cast<u32>(arg_u64(L, 2))));
                 }},
                {"pci_write32", "pci_write32(bdf, offset, value)", "config-space write (a BAR write moves the BAR)",
                 [](lua_State* L, LuaGuest& G) {
                   pci_cfg_write32(G.g, arg_bdf(L, 1), static_cast<u32>(arg_u64(L, 2)),
                                   static_cast<u32>(arg_u64(L, 3)));
                   return 0;
                 }},
                {"pci_write16", "pci_write16(bdf, offset, value)", "config-space write of 2 bytes (Command)",
                 [](lua_State* L, LuaGuest& G) {
                   pci_cfg_write16(G.g, arg_bdf(L, 1), static_cast<u32>(arg_u64(L, 2)),
                                   static_cast<u16>(arg_u64(L, 3)));
                   return 0;
                 }},
                // CPU.
                {"hypercall", "hypercall(id [, p1, p2]) -> result | nil, vector, message",
                 "VMCALL: the result (0 or a negative errno), or nil and the exception's vector (6: #UD) when it "
                 "faults",
                 [](lua_State* L, LuaGuest& G) {
                   try {
                     lua_pushinteger(L, G.g.hypercall(arg_u64(L, 1), static_cast<u64>(luaL_optinteger(L, 2, 0)),
                                                      static_cast<u64>(luaL_optinteger(L, 3, 0))));
                     return 1;
                   } catch (const GuestFault& f) {
                     lua_pushnil(L);
                     lua_pushinteger(L, f.vector);
                     lua_pushstring(L, f.what());
                     return 3;
                   }
                 }},
                {"rdmsr", "rdmsr(msr) -> value", "RDMSR",
                 [](lua_State* L, LuaGuest& G) { return push_u64(L, G.g.rdmsr(static_cast<u32>(arg_u64(L, 1)))); }},
                {"wrmsr", "wrmsr(msr, value)",
                 "WRMSR (x2APIC registers, TSC deadline, MSR_TEST_CTL, TSC, TSC_ADJUST, PAT, Hyper-V)",
                 [](lua_State* L, LuaGuest& G) {
                   G.g.wrmsr(static_cast<u32>(arg_u64(L, 1)), arg_u64(L, 2));
                   return 0;
                 }},
                {"cpuid", "cpuid(leaf [, subleaf]) -> eax, ebx, ecx, edx", "CPUID (exits)",
                 [](lua_State* L, LuaGuest& G) {
                   const auto r =
                       G.g.cpuid(static_cast<u32>(arg_u64(L, 1)), static_cast<u32>(luaL_optinteger(L, 2, 0)));
                   for (u32 v : r) lua_pushinteger(L, v);
                   return 4;
                 }},
                {"wbinvd", "wbinvd()", "WBINVD (exits; ACRN flushes the caches or the VM's memory)",
                 [](lua_State*, LuaGuest& G) {
                   G.g.wbinvd();
                   return 0;
                 }},
                {"invd", "invd()", "INVD (exits; ACRN ignores it: nothing is invalidated)",
                 [](lua_State*, LuaGuest& G) {
                   G.g.invd();
                   return 0;
                 }},
                {"apic_id", "apic_id() -> id", "this CPU's APIC ID (an MSI's destination)",
                 [](lua_State* L, LuaGuest& G) { return push_u64(L, G.g.apic_id()); }},
                // Time.
                {"rdtsc", "rdtsc() -> cycles",
                 "the TSC, one for the package, at its nominal clock (core_mhz), plus the vCPU's TSC offset",
                 [](lua_State* L, LuaGuest& G) { return push_u64(L, G.g.rdtsc()); }},
                {"now_ns", "now_ns() -> ns", "this vCPU's simulated time in nanoseconds",
                 [](lua_State* L, LuaGuest& G) {
                   lua_pushnumber(L, G.g.now_ns());
                   return 1;
                 }},
                // The IVSHMEM driver (Zephyr's calls).
                {"ivshmem_find", "ivshmem_find(index) -> dev | nil",
                 "the index-th (from 0) IVSHMEM device of a bus scan, probed",
                 [](lua_State* L, LuaGuest& G) {
                   const lua_Integer i = arg_int(L, 1);
                   if (i < 0) return luaL_error(L, "index must not be negative");
                   return push_device(L, G, ivshmem_find(G.g, static_cast<unsigned>(i)));
                 }},
                {"ivshmem_probe", "ivshmem_probe(bdf) -> dev | nil", "the IVSHMEM device at a BDF, probed",
                 [](lua_State* L, LuaGuest& G) { return push_device(L, G, ivshmem_probe(G.g, arg_bdf(L, 1))); }},
                {"ivshmem_get_mem", "ivshmem_get_mem(dev) -> addr, size",
                 "where the shared memory is mapped, and its size",
                 [](lua_State* L, LuaGuest& G) {
                   Gpa at = 0;
                   const u64 size = ivshmem_get_mem(G.g, arg_device(L, G, 1), &at);
                   push_u64(L, at);
                   return push_u64(L, size) + 1;
                 }},
                {"ivshmem_get_id", "ivshmem_get_id(dev) -> id", "IVPosition: this VM's peer ID",
                 [](lua_State* L, LuaGuest& G) { return push_u64(L, ivshmem_get_id(G.g, arg_device(L, G, 1))); }},
                {"ivshmem_get_vectors", "ivshmem_get_vectors(dev) -> n", "MSI-X vectors (0 without a doorbell)",
                 [](lua_State* L, LuaGuest& G) { return push_u64(L, ivshmem_get_vectors(G.g, arg_device(L, G, 1))); }},
                {"ivshmem_int_peer", "ivshmem_int_peer(dev, peer, vector) -> rc",
                 "rings peer's vector: 0, -22 (EINVAL: vector out of range) or -38 (ENOSYS: no doorbell)",
                 [](lua_State* L, LuaGuest& G) {
                   lua_pushinteger(L, ivshmem_int_peer(G.g, arg_device(L, G, 1), static_cast<u32>(arg_u64(L, 2)),
                                                       static_cast<u16>(arg_u64(L, 3))));
                   return 1;
                 }},
                {"k_poll_signal", "k_poll_signal() -> signal", "a new signal for ivshmem_register_handler",
                 [](lua_State* L, LuaGuest& G) {
                   G.signals.push_back(std::make_unique<KPollSignal>());
                   lua_pushinteger(L, static_cast<lua_Integer>(G.signals.size()));
                   return 1;
                 }},
                {"ivshmem_register_handler",
                 "ivshmem_register_handler(dev, signal | nil, vector [, function(vector)]) -> rc",
                 "the ISR of vector raises signal (and runs the function); nil unregisters; 0, -22 or -38 as "
                 "ivshmem_int_peer",
                 [](lua_State* L, LuaGuest& G) {
                   const IvshmemGuestDevice& d = arg_device(L, G, 1);
                   KPollSignal* s = lua_isnil(L, 2) ? nullptr : &arg_signal(L, G, 2);
                   const u16 vector = static_cast<u16>(arg_u64(L, 3));
                   std::function<void(Guest&)> extra;
                   if (lua_isfunction(L, 4)) {
                     lua_pushvalue(L, 4);
                     const int ref = luaL_ref(L, LUA_REGISTRYINDEX);
                     LuaGuest* P = &G;
                     extra = [P, ref, vector](Guest&) { call_handler(*P, ref, vector); };
                   }
                   lua_pushinteger(L, ivshmem_register_handler(G.g, d, s, vector, std::move(extra)));
                   return 1;
                 }},
                {"k_poll", "k_poll(signal) -> result",
                 "blocks (HLT) until the signal is raised, resets it, returns its result",
                 [](lua_State* L, LuaGuest& G) {
                   KPollSignal& s = arg_signal(L, G, 1);
                   while (!s.signaled) G.g.halt();
                   s.reset();
                   lua_pushinteger(L, s.result);
                   return 1;
                 }},
                // The workload.
                {"param", "param(name) -> value", "a workload parameter (also in the global table params)",
                 [](lua_State* L, LuaGuest& G) {
                   const char* n = luaL_checkstring(L, 1);
                   const auto it = G.ctx.config->params.find(n);
                   if (it == G.ctx.config->params.end()) return luaL_error(L, "no parameter \"%s\"", n);
                   const ParamValue& p = it->second;
                   switch (p.type) {
                     case ParamValue::Type::integer:
                       lua_pushinteger(L, p.i);
                       break;
                     case ParamValue::Type::number:
                       lua_pushnumber(L, p.d);
                       break;
                     case ParamValue::Type::boolean:
                       lua_pushboolean(L, p.b);
                       break;
                     case ParamValue::Type::string:
                       lua_pushstring(L, p.s.c_str());
                       break;
                   }
                   return 1;
                 }},
                {"role", "role() -> name", "this program's role",
                 [](lua_State* L, LuaGuest& G) {
                   lua_pushstring(L, G.ctx.role.c_str());
                   return 1;
                 }},
                {"peer_id", "peer_id(role) -> vm_id", "a role's VM ID: the peer ID its doorbell takes",
                 [](lua_State* L, LuaGuest& G) {
                   const char* r = luaL_checkstring(L, 1);
                   const auto it = G.ctx.role_vm.find(r);
                   if (it == G.ctx.role_vm.end()) return luaL_error(L, "no role \"%s\"", r);
                   return push_u64(L, it->second);
                 }},
                {"region_bdf", "region_bdf() -> bdf | nil", "where this VM sees the workload's region's device",
                 [](lua_State* L, LuaGuest& G) {
                   if (G.ctx.config->region.empty()) {
                     lua_pushnil(L);
                     return 1;
                   }
                   lua_pushstring(L, G.ctx.ivshmem_bdf.to_string().c_str());
                   return 1;
                 }},
                {"ram_base", "ram_base() -> addr", "the VM's RAM below 4 GiB starts here",
                 [](lua_State* L, LuaGuest& G) { return push_u64(L, G.g.ram_base()); }},
                // Metrics and expectations.
                {"timestamp", "timestamp() -> stamp", "now, with where the time went so far (for record)",
                 [](lua_State* L, LuaGuest& G) {
                   G.stamps[G.next_stamp] = G.g.timestamp();
                   lua_pushinteger(L, G.next_stamp++);
                   return 1;
                 }},
                {"record", "record(metric, stamp)",
                 "records the interval from stamp to now, with its breakdown, into metric",
                 [](lua_State* L, LuaGuest& G) {
                   const char* name = luaL_checkstring(L, 1);
                   const auto it = G.stamps.find(arg_int(L, 2));
                   if (it == G.stamps.end()) return luaL_error(L, "unknown or already recorded stamp");
                   G.ctx.metrics->metric(name).record(it->second, G.g.timestamp());
                   G.stamps.erase(it);
                   return 0;
                 }},
                {"count", "count(name [, n])", "adds n (default 1) to a counter of the report",
                 [](lua_State* L, LuaGuest& G) {
                   const lua_Integer n = luaL_optinteger(L, 2, 1);
                   if (n < 0) return luaL_error(L, "count needs a non-negative number");
                   G.ctx.metrics->count(luaL_checkstring(L, 1), static_cast<u64>(n));
                   return 0;
                 }},
                {"value", "value(name, number, unit)", "a scalar result of the report (a throughput)",
                 [](lua_State* L, LuaGuest& G) {
                   G.ctx.metrics->value(luaL_checkstring(L, 1), luaL_checknumber(L, 2), luaL_checkstring(L, 3));
                   return 0;
                 }},
                {"expect", "expect(cond, message) -> cond",
                 "an expectation: listed in the report; a false one makes ivsim run exit with status 3",
                 [](lua_State* L, LuaGuest& G) {
                   const bool ok = lua_toboolean(L, 1);
                   const char* msg = luaL_checkstring(L, 2);
                   lua_Debug ar;
                   std::string where;
                   if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar))
                     where = std::string(ar.short_src) + ":" + std::to_string(ar.currentline);
                   G.ctx.metrics->finding("expect", msg, ok,
                                          where + ": " + G.ctx.role + (ok ? " met it" : " did not meet it"));
                   lua_pushboolean(L, ok);
                   return 1;
                 }},
};

// Runs one entry. No C++ exception may cross Lua's C frames: a failure is
// left on the Lua stack as a message and reported as a Lua error by the
// caller, once every C++ object here is gone.
bool call_entry(const Entry* e, LuaGuest* G, lua_State* L, int& results) {
  try {
    results = e->fn(L, *G);
    return true;
  } catch (const std::exception& ex) {
    lua_pushstring(L, ex.what());
  } catch (...) {
    G->unwinding = std::current_exception();
    lua_pushstring(L, "the vCPU stopped");
  }
  return false;
}

int trampoline(lua_State* L) {
  auto* e = static_cast<const Entry*>(lua_touserdata(L, lua_upvalueindex(1)));
  auto* G = static_cast<LuaGuest*>(lua_touserdata(L, lua_upvalueindex(2)));
  int results = 0;
  if (call_entry(e, G, L, results)) return results;
  luaL_where(L, 1);  // "file:line: " of the script's call
  lua_insert(L, -2);
  lua_concat(L, 2);
  return lua_error(L);
}

int print_to_stderr(lua_State* L) {
  auto* G = static_cast<LuaGuest*>(lua_touserdata(L, lua_upvalueindex(1)));
  std::string line;
  const int n = lua_gettop(L);
  for (int i = 1; i <= n; ++i) {
    line += std::string(i > 1 ? "\t" : "") + luaL_tolstring(L, i, nullptr);
    lua_pop(L, 1);  // the string luaL_tolstring pushed
  }
  std::fprintf(stderr, "%s.%s: %s\n", G->ctx.config->name.c_str(), G->ctx.role.c_str(), line.c_str());
  return 0;
}

}  // namespace

std::vector<LuaApiInfo> lua_api() {
  std::vector<LuaApiInfo> out;
  for (const Entry& e : kApi) out.push_back({e.name, e.signature, e.doc});
  return out;
}

void lua_guest(Guest& g, const WorkloadContext& ctx) {
  LuaGuest G{g, ctx, nullptr, {}, {}, {}, 1, nullptr};
  std::unique_ptr<lua_State, void (*)(lua_State*)> state(luaL_newstate(), lua_close);
  lua_State* L = state.get();
  if (!L) throw std::runtime_error("cannot create a Lua state");
  G.L = L;
  // The libraries that cannot see the host: no io, os or package.
  for (const auto& [name, open] : {std::pair<const char*, lua_CFunction>{LUA_GNAME, luaopen_base},
                                   {LUA_TABLIBNAME, luaopen_table},
                                   {LUA_STRLIBNAME, luaopen_string},
                                   {LUA_MATHLIBNAME, luaopen_math},
                                   {LUA_UTF8LIBNAME, luaopen_utf8}}) {
    luaL_requiref(L, name, open, 1);
    lua_pop(L, 1);
  }
  for (const char* unsafe : {"dofile", "loadfile", "load", "collectgarbage"}) {
    lua_pushnil(L);
    lua_setglobal(L, unsafe);
  }
  // math.random from the run's seed, so a run repeats.
  lua_getglobal(L, "math");
  lua_getfield(L, -1, "randomseed");
  lua_pushinteger(L, static_cast<lua_Integer>(ctx.seed));
  lua_call(L, 1, 0);
  lua_pop(L, 1);
  lua_pushlightuserdata(L, &G);
  lua_pushcclosure(L, print_to_stderr, 1);
  lua_setglobal(L, "print");
  for (const Entry& e : kApi) {
    lua_pushlightuserdata(L, const_cast<Entry*>(&e));
    lua_pushlightuserdata(L, &G);
    lua_pushcclosure(L, trampoline, 2);
    lua_setglobal(L, e.name);
  }
  lua_newtable(L);
  for (const auto& [name, p] : ctx.config->params) {
    switch (p.type) {
      case ParamValue::Type::integer:
        lua_pushinteger(L, p.i);
        break;
      case ParamValue::Type::number:
        lua_pushnumber(L, p.d);
        break;
      case ParamValue::Type::boolean:
        lua_pushboolean(L, p.b);
        break;
      case ParamValue::Type::string:
        lua_pushstring(L, p.s.c_str());
        break;
    }
    lua_setfield(L, -2, name.c_str());
  }
  lua_setglobal(L, "params");

  // luaL_loadfile names the chunk "@path": errors read "path:line: message".
  if (luaL_loadfile(L, ctx.config->script.c_str()) != LUA_OK || lua_pcall(L, 0, 0, 0) != LUA_OK) {
    if (G.unwinding) std::rethrow_exception(G.unwinding);
    const std::string msg = lua_tostring(L, -1) ? lua_tostring(L, -1) : "script error";
    ctx.metrics->finding("error", ctx.role, false, msg);
    throw std::runtime_error(msg);
  }
}

}  // namespace ivsim
