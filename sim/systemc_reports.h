// SystemC's reports as the ivsim binary takes them: every report goes to
// SystemC's default handler (printed, an error thrown), and warnings are
// counted, so that `ivsim --strict` (or IVSIM_STRICT=1) fails a command that
// drew any, as the model tests' runner fails a test.
#pragma once

#include <string>

namespace ivsim {

// Installs the counting handler (sc_report_handler::set_handler).
void count_systemc_reports();
// Warnings since count_systemc_reports(), and the first one's "type: message".
unsigned systemc_warnings();
const std::string& first_systemc_warning();

}  // namespace ivsim
