// A latency histogram in the manner of HdrHistogram: log-linear buckets of microseconds, a fixed
// number of them (so it is bounded whatever it records), exact below 128 us and within 1/64
// (1.6 %) above, mergeable by adding counts. Processes send theirs as sparse JSON and the parent
// merges them, so percentiles over several processes are percentiles of all the samples (not an
// average of percentiles).
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include <boost/json.hpp>

namespace load {

class Histogram {
 public:
  // Values are microseconds; anything above kMaxValue (about 12.7 days) is clamped.
  static constexpr std::uint64_t kSubBuckets = 128;  // bucket 0 holds 0..127 exactly
  static constexpr std::uint64_t kHalf = kSubBuckets / 2;
  static constexpr int kMaxExponent = 34;  // values up to 2^(34+7) - 1 us
  static constexpr std::uint64_t kMaxValue = (std::uint64_t{1} << (kMaxExponent + 7)) - 1;
  static constexpr std::size_t kBuckets = kSubBuckets + kMaxExponent * kHalf;

  Histogram() : counts_(kBuckets, 0) {}

  static std::size_t index_of(std::uint64_t v) {
    v = std::min(v, kMaxValue);
    if (v < kSubBuckets) return static_cast<std::size_t>(v);
    const int e = std::bit_width(v) - 7;  // v >> e is in [64, 128)
    const std::uint64_t sub = v >> e;
    return static_cast<std::size_t>(kSubBuckets + static_cast<std::uint64_t>(e - 1) * kHalf +
                                    (sub - kHalf));
  }
  // The highest value that lands in bucket i (what a percentile reports, as HdrHistogram does).
  static std::uint64_t upper_of(std::size_t i) {
    if (i < kSubBuckets) return i;
    const std::uint64_t k = i - kSubBuckets;
    const int e = static_cast<int>(k / kHalf) + 1;
    const std::uint64_t sub = kHalf + k % kHalf;
    return ((sub + 1) << e) - 1;
  }

  void record_us(std::uint64_t us) {
    ++counts_[index_of(us)];
    if (count_ == 0 || us < min_) min_ = us;
    max_ = std::max(max_, us);
    ++count_;
    sum_ += static_cast<double>(us);
  }
  void record_ms(double ms) { record_us(ms <= 0 ? 0 : static_cast<std::uint64_t>(ms * 1000.0)); }

  void merge(const Histogram& o) {
    if (o.count_ == 0) return;
    for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    min_ = count_ == 0 ? o.min_ : std::min(min_, o.min_);
    max_ = std::max(max_, o.max_);
    count_ += o.count_;
    sum_ += o.sum_;
  }
  void reset() {
    std::fill(counts_.begin(), counts_.end(), 0);
    count_ = 0;
    min_ = max_ = 0;
    sum_ = 0;
  }

  std::uint64_t count() const { return count_; }
  std::uint64_t max_us() const { return max_; }
  std::uint64_t min_us() const { return min_; }
  double mean_us() const { return count_ ? sum_ / static_cast<double>(count_) : 0; }

  // The value at or below which a fraction p (0..1) of the samples lie; 0 when empty.
  std::uint64_t percentile_us(double p) const {
    if (count_ == 0) return 0;
    if (p >= 1.0) return max_;
    const auto rank = std::max<std::uint64_t>(
        1, static_cast<std::uint64_t>(std::ceil(p * static_cast<double>(count_))));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::clamp(upper_of(i), min_, max_);
    }
    return max_;
  }
  double percentile_ms(double p) const { return static_cast<double>(percentile_us(p)) / 1000.0; }
  double max_ms() const { return static_cast<double>(max_) / 1000.0; }

  // {"n":..,"min":..,"max":..,"sum":..,"b":[[index,count],...]} with only non-empty buckets.
  boost::json::object to_json() const {
    boost::json::array b;
    for (std::size_t i = 0; i < kBuckets; ++i)
      if (counts_[i]) {
        boost::json::array pair;
        pair.emplace_back(static_cast<std::uint64_t>(i));
        pair.emplace_back(counts_[i]);
        b.emplace_back(std::move(pair));
      }
    boost::json::object o;
    o["n"] = count_;
    o["min"] = min_;
    o["max"] = max_;
    o["sum"] = sum_;
    o["b"] = std::move(b);
    return o;
  }
  static Histogram from_json(const boost::json::value& v) {
    Histogram h;
    const auto& o = v.as_object();
    h.count_ = boost::json::value_to<std::uint64_t>(o.at("n"));
    h.min_ = boost::json::value_to<std::uint64_t>(o.at("min"));
    h.max_ = boost::json::value_to<std::uint64_t>(o.at("max"));
    h.sum_ = boost::json::value_to<double>(o.at("sum"));
    std::uint64_t total = 0;
    for (const auto& pair : o.at("b").as_array()) {
      const auto i = boost::json::value_to<std::size_t>(pair.as_array().at(0));
      const auto c = boost::json::value_to<std::uint64_t>(pair.as_array().at(1));
      if (i >= kBuckets) throw std::runtime_error("histogram bucket out of range");
      h.counts_[i] += c;
      total += c;
    }
    if (total != h.count_) throw std::runtime_error("histogram counts do not add up");
    return h;
  }

 private:
  std::vector<std::uint64_t> counts_;  // kBuckets entries, never more
  std::uint64_t count_ = 0, min_ = 0, max_ = 0;
  double sum_ = 0;
};

}  // namespace load
