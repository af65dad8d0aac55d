// Internal side of MonthAggregate: the contribution of one typed record, and the algebra the
// write path needs to correct aggregates (counts and sums invert; latest/earliest do not).
// Thread-safety: pure functions.
#pragma once

#include "vigil/records.h"
#include "vigil/store.h"

namespace vigil::storage {

MonthAggregate AggregateOf(const ContributionRecord& r);
MonthAggregate AggregateOf(const PaymentRecord& r);
MonthAggregate AggregateOf(const SignalRecord& r);
MonthAggregate AggregateOf(const RegistryRecord& r);
MonthAggregate AggregateOf(const AppraisalRecord& r);

// True when `a` holds any latest/earliest field (which a subtraction cannot undo).
bool HasExtremes(const MonthAggregate& a);
// True when the latest/earliest fields of a and b are identical.
bool SameExtremes(const MonthAggregate& a, const MonthAggregate& b);
// Subtracts the counts and sums of `old` from `delta` (extremes untouched).
void SubtractSums(const MonthAggregate& old, MonthAggregate* delta);

}  // namespace vigil::storage
