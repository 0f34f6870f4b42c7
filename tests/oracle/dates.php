<?php
// Grav's date reading (Utils::date2timestamp), run by PHP itself, for tests/oracle/test_dates_php.py.
//
// stdin:  {"now": <unix seconds>, "cases": [[text, time zone, format or null], ...]}
// stdout: {"timestamps": [int or null, ...], "constructor_mismatches": [text, ...]}
//
// Grav: with a format, DateTime::createFromFormat($format, $date); else new DateTime($date);
// if that fails, strtotime($date). Two changes make the answers reproducible, and bulletin
// must match them:
// - "now" is the fixed moment passed in, given to strtotime() as its second argument.
//   new DateTime($date) and strtotime($date) run the same parser and fail on the same
//   errors, so strtotime($date, $now) is Grav's no-format reading at that moment. For every
//   text whose reading does not depend on "now", this script checks that claim against
//   new DateTime($date) itself and reports any text where they differ.
// - createFromFormat gets "|" appended: fields the format lacks are the epoch's (zero),
//   bulletin's deliberate choice, instead of the current clock.
$input = json_decode(stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR);
$now = $input['now'];
$later = $now + 400 * 86400 + 3637;  // a second "now", to tell absolute texts from relative ones
$timestamps = [];
$mismatches = [];
foreach ($input['cases'] as [$text, $zone, $format]) {
    date_default_timezone_set($zone);
    if ($format !== null) {
        $parsed = DateTime::createFromFormat($format . '|', $text);
        if ($parsed !== false) {
            $timestamps[] = $parsed->getTimestamp();
            continue;
        }
    }
    $result = strtotime($text, $now);
    $timestamps[] = $result === false ? null : $result;
    if ($result === strtotime($text, $later)) {
        try {
            $constructed = (new DateTime($text))->getTimestamp();
        } catch (Exception $e) {
            $constructed = false;
        }
        if ($constructed !== $result) {
            $mismatches[] = $text;
        }
    }
}
echo json_encode(['timestamps' => $timestamps, 'constructor_mismatches' => $mismatches]);
