#include "sim/systemc_reports.h"

#include <systemc>

namespace ivsim {

namespace {

unsigned g_warnings = 0;
std::string g_first;

void counting_handler(const sc_core::sc_report& rep, const sc_core::sc_actions& actions) {
  if (rep.get_severity() == sc_core::SC_WARNING && g_warnings++ == 0)
    g_first = std::string(rep.get_msg_type()) + ": " + rep.get_msg();
  sc_core::sc_report_handler::default_handler(rep, actions);
}

}  // namespace

void count_systemc_reports() { sc_core::sc_report_handler::set_handler(counting_handler); }
unsigned systemc_warnings() { return g_warnings; }
const std::string& first_systemc_warning() { return g_first; }

}  // namespace ivsim
