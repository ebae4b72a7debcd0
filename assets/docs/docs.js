// Starts Swagger UI on the Worker's own OpenAPI document (served by the Worker at /openapi.json).
window.addEventListener('DOMContentLoaded', function () {
  window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });
});
