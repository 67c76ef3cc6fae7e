#pragma once
// Include Asio through here: Boost 1.74's awaitable.hpp uses std::exchange without including
// <utility>, which g++ 12 in C++20 mode rejects.
#include <utility>

#include <boost/asio.hpp>
