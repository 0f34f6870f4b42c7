<?php
// Reads a JSON list of [header, twin] pairs on stdin and writes, for each, how Symfony YAML
// (the parser Grav reads page headers with) reads it: ["ok", value] or ["refused", message].
// When Symfony refuses a header and its twin differs, the twin's reading is added under
// "twin": the twin is the same header with the scalars that Grav's lenient fallback parser
// reads as plain text quoted, so it is what Grav ends up with.
require '/usr/share/php/Symfony/Component/Yaml/autoload.php';

use Symfony\Component\Yaml\Exception\ParseException;
use Symfony\Component\Yaml\Yaml;

error_reporting(E_ALL & ~E_DEPRECATED & ~E_USER_DEPRECATED);

// RocketTheme\Toolbox\File\MarkdownFile::decode: a tab that starts a header line becomes four spaces.
function grav_header(string $header): string
{
    return preg_replace("/\n\t/", "\n    ", $header);
}

// JSON has no INF or NAN; both sides spell them as marker strings.
function portable($value)
{
    if (is_float($value) && is_nan($value)) {
        return '__nan__';
    }
    if (is_float($value) && is_infinite($value)) {
        return $value > 0 ? '__inf__' : '__-inf__';
    }
    if (is_array($value)) {
        return array_map('portable', $value);
    }
    return $value;
}

function read_header(string $header): array
{
    try {
        return ['ok', portable(Yaml::parse(grav_header($header)))];
    } catch (ParseException $e) {
        return ['refused', $e->getMessage()];
    }
}

$out = [];
foreach (json_decode(stream_get_contents(STDIN), true) as [$header, $twin]) {
    $result = read_header($header);
    if ($result[0] === 'refused' && $twin !== $header) {
        $result[] = read_header($twin);
    }
    $out[] = $result;
}
echo json_encode($out, JSON_PRESERVE_ZERO_FRACTION | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE);
