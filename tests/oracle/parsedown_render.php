<?php
// Renders Markdown documents the way Grav 1.7 does, for tests/oracle/test_markdown_php.py.
//
// stdin: {"extra": bool, "auto_line_breaks": bool, "auto_url_links": bool, "escape_markup": bool,
//         "documents": ["markdown", ...]}
// stdout: ["html", ...] in the same order.
//
// Grav's Parsedown and ParsedownExtra classes are Debian's php-parsedown(-extra) with
// ParsedownGravTrait on top. Of that trait only two things change the HTML of a post body
// (the rest rewrites link and image URLs against Grav's page tree, which bulletin does its own
// way): lines holding a Twig tag are raw blocks, and only the characters in
// system.yaml pages.markdown.special_chars (default '>' and '<') become entities, so a bare
// '"' stays as written. Both are repeated here, with Grav's default special_chars.

require_once 'Parsedown/autoload.php';
require_once 'ParsedownExtra/autoload.php';

trait GravMarkdownSettings
{
    protected $special_chars = array('>' => 'gt', '<' => 'lt');

    protected function gravInit(array $settings)
    {
        $this->BlockTypes['{'][] = 'TwigTag';
        $this->setBreaksEnabled($settings['auto_line_breaks']);
        $this->setUrlsLinked($settings['auto_url_links']);
        $this->setMarkupEscaped($settings['escape_markup']);
    }

    protected function blockTwigTag($Line)
    {
        if (preg_match('/(?:{{|{%|{#)(.*)(?:}}|%}|#})/', $Line['body'])) {
            return array('markup' => $Line['body']);
        }
        return null;
    }

    protected function inlineSpecialCharacter($Excerpt)
    {
        if ($Excerpt['text'][0] === '&' && !preg_match('/^&#?\w+;/', $Excerpt['text'])) {
            return array('markup' => '&amp;', 'extent' => 1);
        }
        if (isset($this->special_chars[$Excerpt['text'][0]])) {
            return array('markup' => '&' . $this->special_chars[$Excerpt['text'][0]] . ';', 'extent' => 1);
        }
        return null;
    }
}

class GravParsedown extends Parsedown
{
    use GravMarkdownSettings;

    public function __construct(array $settings)
    {
        $this->gravInit($settings);
    }
}

class GravParsedownExtra extends ParsedownExtra
{
    use GravMarkdownSettings;

    public function __construct(array $settings)
    {
        parent::__construct();
        $this->gravInit($settings);
    }
}

// ParsedownExtra 0.8.1 on PHP 8 emits deprecation notices from DOMDocument; they must not
// reach stdout, where they would break the JSON.
error_reporting(E_ALL & ~E_DEPRECATED & ~E_NOTICE & ~E_WARNING);
ini_set('display_errors', 'stderr');

$request = json_decode(file_get_contents('php://stdin'), true, 512, JSON_THROW_ON_ERROR);
$out = array();
foreach ($request['documents'] as $document) {
    // A fresh parser per document, as Grav makes one per page: reference definitions and
    // footnotes must not leak from one document into the next.
    $parser = $request['extra'] ? new GravParsedownExtra($request) : new GravParsedown($request);
    $out[] = $parser->text($document);
}
echo json_encode($out, JSON_THROW_ON_ERROR | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE);
