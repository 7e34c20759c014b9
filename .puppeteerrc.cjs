// Tests drive Debian's chromium (CHROME_PATH or /usr/bin/chromium); never download a browser.
module.exports = { skipDownload: true };
