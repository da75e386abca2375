/**
 * The SLA clock: business-hours calendars, business-time arithmetic and iCalendar holidays.
 * Pure and deterministic (Intl only, no Node built-ins, no clock): import it from workflow code.
 */
export {
  WEEKDAYS,
  alwaysOpen,
  alwaysOpenCalendar,
  assertValidCalendar,
  isOpenAt,
  isValidTimeZone,
  localToUtc,
  openRangesBetween,
  toLocalDateTime,
  utcOffsetAt,
  validateCalendar,
  CalendarValidationError,
  type BusinessCalendar,
  type InstantRange,
  type LocalDateTime,
  type OpenInterval,
  type Weekday,
} from './calendar';
export {
  DEFAULT_HORIZON_DAYS,
  DEFAULT_THRESHOLDS,
  addBusinessMinutes,
  businessMinutesBetween,
  createSlaClock,
  validateSlaClockInput,
  SlaHorizonError,
  SlaInputError,
  type SlaClock,
  type SlaClockInput,
  type SlaPause,
  type ThresholdInstant,
} from './clock';
export { parseIcsHolidays, IcsParseError, type IcsHoliday, type IcsHolidays, type IcsParseOptions } from './ical';
