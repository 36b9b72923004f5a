// A courtesy only: the server enforces the same limits while it reads the upload.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("upload");
  if (!form) return;
  const input = form.querySelector('input[type="file"]');
  const refused = document.getElementById("upload-refused");
  const maxBytes = Number(form.dataset.maxBytes);
  const maxFiles = Number(form.dataset.maxFiles);
  form.addEventListener("submit", (event) => {
    const files = Array.from(input.files);
    const big = files.find((file) => file.size > maxBytes);
    let why = "";
    if (files.length > maxFiles) why = `一次最多上传${maxFiles}个文件，请分批上传。`;
    else if (big) why = `文件“${big.name}”超过${(maxBytes / 1048576).toFixed(1)} MB的处理上限，请删除无关的工作表和图片后另存，或将数据拆分为多个文件分别报送。`;
    if (why) {
      event.preventDefault();
      refused.textContent = why;
      refused.hidden = false;
      return;
    }
    form.querySelector('button[type="submit"]').textContent = "正在检查……";
  });
});
