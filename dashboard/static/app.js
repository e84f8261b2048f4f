// keygate's only script: Copy buttons. Everything else works without it.
document.addEventListener("click", function (e) {
  var id = e.target && e.target.getAttribute && e.target.getAttribute("data-copy");
  if (!id) return;
  var input = document.getElementById(id);
  input.select();
  var done = function () { e.target.textContent = "Copied"; };
  if (navigator.clipboard) {
    navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
  } else {
    document.execCommand("copy");
    done();
  }
});
