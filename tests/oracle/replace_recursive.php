<?php
// Reads a JSON list of [base, override] pairs on stdin and writes PHP's
// array_replace_recursive(base, override) of each: how Grav merges a folder's
// frontmatter.yaml (base) under a page's header (override).
$out = [];
foreach (json_decode(stream_get_contents(STDIN), true) as [$base, $override]) {
    $out[] = array_replace_recursive($base, $override);
}
echo json_encode($out, JSON_PRESERVE_ZERO_FRACTION | JSON_UNESCAPED_UNICODE);
