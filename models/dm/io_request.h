// An I/O request the hypervisor hands to the Service VM's device model
// (ACRN's struct acrn_io_request in the shared ioreq page): an MMIO, port
// I/O or PCI configuration access of a post-launched VM that no hypervisor
// handler claimed.
#pragma once

#include "models/core/types.h"
#include "models/pci/bdf.h"

namespace ivsim {

class Vcpu;

struct IoRequest {
  enum class Type : u8 { mmio, port_io, pci_config };
  Type type = Type::mmio;
  VmId vm = 0;
  unsigned vcpu = 0;
  u64 addr = 0;       // GPA (mmio) or port (port_io)
  pci::Bdf bdf;       // pci_config
  u32 reg = 0;        // pci_config register offset
  unsigned size = 4;  // bytes
  bool write = false;
  u64 value = 0;  // written value, or the value read back
  // The SystemC process whose hypercall completed it, which woke the
  // requester (hcall_notify_ioreq_finish's wake_thread): the Service VM
  // vCPU serving it. None for a requester that polled for completion.
  const void* completed_by = nullptr;
};

// Where the hypervisor sends requests of one post-launched VM.
class IoRequestHandler {
 public:
  virtual ~IoRequestHandler() = default;
  // Blocks the calling vCPU's thread until the request is complete, or
  // until `requester` becomes a zombie (its VM was paused: a reboot) and the
  // request is no longer being served.
  virtual void submit(IoRequest& req, Vcpu* requester) = 0;
  // The vCPU that serves the requests (for diagnosing a stall), if any.
  virtual const Vcpu* upcall_vcpu() const { return nullptr; }
};

}  // namespace ivsim
