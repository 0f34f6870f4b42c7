<?php
// Reads a JSON list of page headers on stdin and writes, for each, whether Grav takes the page
// as published: Symfony YAML reads the header (as Grav does without PHP's yaml extension), and
// Page::header() does `if (isset($header->published)) $this->published = (bool)$header->published;`
// (true when unset).
require '/usr/share/php/Symfony/Component/Yaml/autoload.php';

use Symfony\Component\Yaml\Yaml;

error_reporting(E_ALL & ~E_DEPRECATED & ~E_USER_DEPRECATED);

$out = [];
foreach (json_decode(stream_get_contents(STDIN), true) as $header) {
    $data = (object)Yaml::parse($header);
    $out[] = isset($data->published) ? (bool)$data->published : true;
}
echo json_encode($out);
