#pragma once
// The web console's page (console_page.html), compiled into the binary: nothing to
// install, nothing fetched from elsewhere.
#include <string>

namespace raftor::http {

const std::string& console_page();

}  // namespace raftor::http
