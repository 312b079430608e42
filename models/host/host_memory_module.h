// Host physical memory as a TLM target. Data moves through DMI pointers, one
// 4 KiB page per grant (pages are sparse); timing is not this module's
// business: the coherence directory prices every access.
#pragma once

#include <tlm_utils/multi_passthrough_target_socket.h>
#include <systemc>
#include <tlm>

#include "models/host/host_memory.h"

namespace ivsim {

class HostMemoryModule : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<HostMemoryModule> socket;  // one binding per vCPU

  HostMemoryModule(sc_core::sc_module_name name, HostMemory& mem);

  HostMemory& memory() { return mem_; }

 private:
  void b_transport(int port, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  bool get_direct_mem_ptr(int port, tlm::tlm_generic_payload& gp, tlm::tlm_dmi& dmi);
  unsigned transport_dbg(int port, tlm::tlm_generic_payload& gp);

  HostMemory& mem_;
};

}  // namespace ivsim
