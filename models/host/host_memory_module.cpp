#include "models/host/host_memory_module.h"

namespace ivsim {

HostMemoryModule::HostMemoryModule(sc_core::sc_module_name name, HostMemory& mem)
    : sc_module(name), socket("socket"), mem_(mem) {
  socket.register_b_transport(this, &HostMemoryModule::b_transport);
  socket.register_get_direct_mem_ptr(this, &HostMemoryModule::get_direct_mem_ptr);
  socket.register_transport_dbg(this, &HostMemoryModule::transport_dbg);
}

void HostMemoryModule::b_transport(int port, tlm::tlm_generic_payload& gp, sc_core::sc_time&) {
  if (transport_dbg(port, gp) != gp.get_data_length()) return;
  gp.set_dmi_allowed(true);
}

unsigned HostMemoryModule::transport_dbg(int, tlm::tlm_generic_payload& gp) {
  const Hpa a = gp.get_address();
  const unsigned len = gp.get_data_length();
  if (gp.get_byte_enable_ptr() || gp.get_streaming_width() < len) {
    gp.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return 0;
  }
  if (!mem_.contains(a, len)) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return 0;
  }
  if (gp.is_read())
    mem_.read(a, gp.get_data_ptr(), len);
  else if (gp.is_write())
    mem_.write(a, gp.get_data_ptr(), len);
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
  return len;
}

bool HostMemoryModule::get_direct_mem_ptr(int, tlm::tlm_generic_payload& gp, tlm::tlm_dmi& dmi) {
  const Hpa a = gp.get_address();
  if (!mem_.contains(a)) return false;
  const Hpa base = page_base(a);
  dmi.set_dmi_ptr(mem_.page(base));
  dmi.set_start_address(base);
  dmi.set_end_address(base + kPageSize4K - 1);
  dmi.allow_read_write();
  dmi.set_read_latency(sc_core::SC_ZERO_TIME);
  dmi.set_write_latency(sc_core::SC_ZERO_TIME);
  return true;
}

}  // namespace ivsim
