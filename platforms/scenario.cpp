#include "platforms/scenario.h"

namespace ivsim {

const char* to_string(LoadOrder l) {
  switch (l) {
    case LoadOrder::pre_launched:
      return "PRE_LAUNCHED_VM";
    case LoadOrder::service_vm:
      return "SERVICE_VM";
    case LoadOrder::post_launched:
      return "POST_LAUNCHED_VM";
  }
  return "?";
}

const char* to_string(Provider p) { return p == Provider::hypervisor ? "Hypervisor" : "Device Model"; }

}  // namespace ivsim
